import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultSQLite
import MemVaultServer
import ServiceLifecycle

/// Issue 12: the HTTP server under load on loopback. 50 tenants, each with one subject holding `memories`
/// memories (indexed) and an application credential; the server runs in this process and wrk (Debian) drives it
/// with many connections, every request authenticated, rate-checked, decided and audited. Get, add and search are
/// each measured for `seconds`, beside `GET /health` in the same run: the HTTP floor with no credential and no store.
struct ServerLoadScenario: Scenario {
    let policies: URL
    let tenants: Int
    let memories: Int
    let seconds: Int
    let connections: Int
    let name = "server load"

    /// One wrk run's figures.
    struct Load: Decodable {
        let requests: Int
        let durationMicroseconds: Int
        let statusErrors: Int
        let socketErrors: Int
        let p50Microseconds: Double
        let p99Microseconds: Double

        var requestsPerSecond: Double { Double(requests) / (Double(durationMicroseconds) / 1e6) }
        var errors: Int { statusErrors + socketErrors }
    }

    /// What each tenant has for the requests: its token, subject, cube and some memory ids.
    struct TenantData {
        let token: String
        let subject: String
        let cube: String
        let memories: [String]
    }

    func run() async throws -> ReportSection {
        guard let wrk = Self.which("wrk") else {
            throw ScenarioFailure("wrk is not installed: apt-get install wrk")
        }
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-server-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let installation = try Installation.initialise(
            at: folder.appending(path: "data").path,
            masterKey: .keyFile(path: folder.appending(path: "master.key").path))
        let store = try await MemoryStore.open(installation, policies: PolicyRegistry(folder: policies))
        let started = ContinuousClock.now
        let data = try await Self.populate(store, tenants: tenants, memories: memories)
        print("   populated \(tenants) tenants × \(memories) memories in \((ContinuousClock.now - started).seconds) s")

        let logger = Logger(label: "memvault-bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = MemVaultServer(
            store: store,
            configuration: .init(port: 0, retentionInterval: nil, checkpointInterval: .seconds(3_600)),
            logger: logger)
        let app = try server.application { continuation.yield($0) }
        let group = ServiceGroup(services: [app], logger: logger)
        let loads = try await withThrowingTaskGroup(of: [String: Load].self) { tasks in
            tasks.addTask {
                try await group.run()
                return [:]
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ScenarioFailure("the server did not start") }
            var loads: [String: Load] = [:]
            for (label, script) in try Self.scripts(data, folder: folder) {
                let load = try await Self.measure(
                    wrk: wrk, script: script, base: "http://127.0.0.1:\(port)", connections: connections,
                    seconds: seconds)
                print("   \(label): \(String(format: "%.0f", load.requestsPerSecond)) req/s, \(load.errors) errors")
                loads[label] = load
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return loads
        }
        try await store.close()
        try installation.close()
        guard let health = loads["health"] else { throw ScenarioFailure("GET /health was not measured") }

        var rows: [Measurement] = []
        var notes: [String] = []
        for (label, key) in [
            ("GET /v1/memories/{id}", "get"), ("POST /v1/cubes/{id}/memories (one memory)", "add"),
            ("POST /v1/search (top 10)", "search"),
        ] {
            guard let load = loads[key] else { continue }
            rows.append(
                Measurement(
                    label: "\(label) throughput", value: load.requestsPerSecond, unit: "req/s",
                    baselineLabel: "GET /health", baseline: health.requestsPerSecond, higherIsBetter: true))
            for (name, value, floor) in [
                ("p50", load.p50Microseconds, health.p50Microseconds),
                ("p99", load.p99Microseconds, health.p99Microseconds),
            ] {
                rows.append(
                    Measurement(
                        label: "\(label) \(name)", value: value / 1000, unit: "ms", baselineLabel: "GET /health",
                        baseline: floor / 1000, higherIsBetter: false))
            }
            notes.append(
                "\(label): \(load.requests) requests in \(seconds) s, \(load.errors) errors "
                    + "(\(load.statusErrors) non-2xx, \(load.socketErrors) socket).")
        }
        notes.append(
            "GET /health: \(health.requests) requests, \(health.errors) errors. wrk with \(connections) connections "
                + "and 2 threads on the same 2-core machine as the server (they share the CPU). Aims (issue 12): "
                + "get ≥ 10,000 req/s with p99 < 10 ms, add ≥ 5,000 req/s, search ≥ 3,000 req/s. For scale, "
                + "MemOS's server: about 10 requests/s at 440 ms mean.")
        return ReportSection(
            title: "HTTP server under load",
            description: """
                \(tenants) tenants, each with one subject holding \(memories.formatted()) indexed memories and an \
                application credential; the server in this process on loopback, driven by wrk for \(seconds) s per \
                operation with \(connections) connections spread over every tenant. Each request is authenticated \
                (HMAC of its token, credential read from the catalog), rate-checked, decided by the tenant's policy \
                and recorded in its audit log; reads decrypt, adds encrypt, index and commit (group commit). \
                Baseline: GET /health in the same run, the HTTP floor (no credential, no store).
                """,
            rows: rows, notes: notes)
    }

    // MARK: - Setup

    /// `tenants` tenants, each with a subject holding `memories` memories and an application credential.
    static func populate(_ store: MemoryStore, tenants: Int, memories: Int) async throws -> [TenantData] {
        let administrator = AccessContext(actor: "bench-admin", role: .administrator)
        var data: [TenantData] = []
        var corpus = SyntheticText(seed: 12)
        for index in 0..<tenants {
            let id = try TenantID(String(format: "tenant-%02d", index))
            try await store.createTenant(id, as: administrator)
            let tenant = try await store.tenant(
                id, as: AccessContext(actor: "bench", role: .application, purpose: "service-delivery"))
            let subject = try await tenant.resolveSubject(externalID: "user-\(index)").id
            let cube = try await tenant.createCube(
                NewCube(owner: .subject(subject), name: "chat", defaultCategory: "conversation")
            ).id
            var ids: [String] = []
            var stored = 0
            while stored < memories {
                let batch = min(1_000, memories - stored)
                let added = try await tenant.addMemories(
                    (0..<batch).map { _ in NewMemory(content: .text(corpus.text())) }, to: cube)
                if ids.count < 200 { ids += added.prefix(200 - ids.count).map(\.id.rawValue) }
                stored += batch
            }
            let token = try await store.createCredential(
                NewCredential(tenant: id, role: .application, purposes: ["service-delivery"]), as: administrator
            ).token
            data.append(TenantData(token: token, subject: subject.rawValue, cube: cube.rawValue, memories: ids))
        }
        return data
    }

    /// A wrk script per operation: every request built in advance (wrk.format), one tenant after another.
    static func scripts(_ data: [TenantData], folder: URL) throws -> [(String, URL)] {
        var corpus = SyntheticText(seed: 99)
        func headers(_ tenant: TenantData, json: Bool) -> String {
            "{[\"Authorization\"] = \"Bearer \(tenant.token)\", [\"MemVault-Purpose\"] = \"service-delivery\""
                + (json ? ", [\"Content-Type\"] = \"application/json\"}" : "}")
        }
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var requests: [String: [String]] = ["health": ["wrk.format(\"GET\", \"/health\")"]]
        for index in 0..<200 {
            for tenant in data {
                requests["get", default: []].append(
                    "wrk.format(\"GET\", \"/v1/memories/\(tenant.memories[index % tenant.memories.count])\", "
                        + "\(headers(tenant, json: false)))")
                guard index < 20 else { continue }
                let memory = "{\"memories\": [{\"text\": \"\(corpus.text())\"}]}"
                requests["add", default: []].append(
                    "wrk.format(\"POST\", \"/v1/cubes/\(tenant.cube)/memories\", \(headers(tenant, json: true)), "
                        + "\(quoted(memory)))")
                let search = "{\"query\": \"\(corpus.query())\", \"subject\": \"\(tenant.subject)\", \"limit\": 10}"
                requests["search", default: []].append(
                    "wrk.format(\"POST\", \"/v1/search\", \(headers(tenant, json: true)), \(quoted(search)))")
            }
        }
        let report = """
            done = function(summary, latency, requests)
              local errors = summary.errors
              io.write(string.format(
                '{"requests":%d,"durationMicroseconds":%d,"statusErrors":%d,"socketErrors":%d,' ..
                '"p50Microseconds":%f,"p99Microseconds":%f}\\n',
                summary.requests, summary.duration, errors.status,
                errors.connect + errors.read + errors.write + errors.timeout,
                latency:percentile(50), latency:percentile(99)))
            end
            """
        return try ["health", "get", "add", "search"].map { label in
            let list = requests[label] ?? []
            let script = """
                local requests = {
                \(list.joined(separator: ",\n"))
                }
                local counter = 0
                init = function(args) counter = math.random(#requests) end
                request = function()
                  counter = counter % #requests + 1
                  return requests[counter]
                end
                \(report)
                """
            let file = folder.appending(path: "\(label).lua")
            try script.write(to: file, atomically: true, encoding: .utf8)
            return (label, file)
        }
    }

    /// Runs wrk without holding a thread of the cooperative pool, which the server's handlers need.
    static func measure(
        wrk: String, script: URL, base: String, connections: Int, threads: Int = 2, seconds: Int
    ) async throws -> Load {
        let process = Process()
        process.executableURL = URL(filePath: wrk)
        process.arguments = [
            "-t", "\(threads)", "-c", "\(connections)", "-d", "\(seconds)s", "--timeout", "5s", "-s", script.path, base,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.finish() }
        }
        try process.run()
        for await _ in exited {}
        // wrk's summary is a few hundred bytes: it fits the pipe's buffer, so reading after it exits is safe.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") })
        else { throw ScenarioFailure("wrk failed: \(text.suffix(500))") }
        return try JSONDecoder().decode(Load.self, from: Data(line.utf8))
    }

    static func which(_ tool: String) -> String? {
        for directory in ["/usr/bin", "/usr/local/bin"]
        where FileManager.default.isExecutableFile(
            atPath: "\(directory)/\(tool)")
        {
            return "\(directory)/\(tool)"
        }
        return nil
    }
}
