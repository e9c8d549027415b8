import Foundation
import MemVault
import MemVaultPolicy
import MemVaultPostgres
import MemVaultPostgresTestSupport

/// Issue 15: one PostgreSQL behind 1, 2 and 3 `memvault serve` processes, each a separate process as in a
/// deployment, driven over HTTP by wrk (one per server, the connections split between them): throughput, p99, and
/// CPU time per request of every server process and of PostgreSQL (its postmaster and backends). On a 2-core
/// machine the processes share the cores, so throughput cannot grow with servers; what scaling rests on is that a
/// server's CPU per request stays flat as servers are added, and PostgreSQL's per-request CPU says how many requests
/// one database serves per core. Then the cost of moving a tenant to another PostgreSQL server.
struct ScaleOutScenario: Scenario {
    let name = "PostgreSQL with 1, 2 and 3 servers"
    let policies: URL
    let tenants: Int
    let memories: Int
    let seconds: Int
    let connections: Int
    let moveMemories: Int
    /// A PostgreSQL server to measure on (databases of its own are made); nil: a throwaway local cluster.
    let postgres: String?

    /// One configuration's figures for one operation.
    struct Run {
        let throughput: Double
        let p99Milliseconds: Double
        /// CPU milliseconds per request of each server process (its own requests).
        let serverCPU: [Double]
        /// CPU milliseconds per request of PostgreSQL (all requests), nil if its processes are not on this machine.
        let databaseCPU: Double?
        let loadGeneratorCPU: Double
        let requests: Int
        let errors: Int
    }

    func run() async throws -> ReportSection {
        guard let wrk = ServerLoadScenario.which("wrk") else {
            throw ScenarioFailure("wrk is not installed: apt-get install wrk")
        }
        let binary = try ImportScenario.memvaultBinary()
        let (primary, second) = try await (database(), database())
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-scale-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyFile = folder.appending(path: "master.key").path
        let registry = PolicyRegistry(folder: policies)

        // Every tenant on the one PostgreSQL (the primary); the moving tenant too, until it moves.
        let installation = try PostgresInstallation.initialise(url: primary, masterKey: .keyFile(path: keyFile))
        let store = try await MemoryStore.open(installation, policies: registry)
        let started = ContinuousClock.now
        let data = try await ServerLoadScenario.populate(store, tenants: tenants, memories: memories)
        print("   populated \(tenants) tenants × \(memories) memories in \((ContinuousClock.now - started).seconds) s")
        let (moving, adding) = try await movingTenant(store)
        try await store.close()
        installation.close()
        let postmaster = try await postmasterPID(primary)

        let scripts = Dictionary(uniqueKeysWithValues: try ServerLoadScenario.scripts(data, folder: folder))
        var runs: [String: [Int: Run]] = [:]
        for count in 1...3 {
            var servers: [ServeProcess] = []
            for index in 0..<count {
                servers.append(
                    try await ServeProcess(
                        binary: binary,
                        arguments: [
                            "--postgres", primary.description, "--key-file", keyFile, "--policies", policies.path,
                            "--retention-interval", "0", "--checkpoint-interval", "3600",
                        ], log: folder.appending(path: "serve-\(count)-\(index).log")))
            }
            for operation in ["get", "add"] {
                guard let script = scripts[operation] else { continue }
                for load in loads(servers: count) {
                    let run = try await measure(
                        servers, script: script, wrk: wrk, postmaster: postmaster, connections: load.perServer)
                    print(
                        "   \(operation), \(load.label), \(count) server\(count == 1 ? "" : "s"): "
                            + "\(String(format: "%.0f", run.throughput)) req/s, "
                            + "p99 \(String(format: "%.1f", run.p99Milliseconds)) ms, server CPU "
                            + run.serverCPU.map { String(format: "%.2f", $0) }.joined(separator: "/")
                            + " ms/req, PostgreSQL \(run.databaseCPU.map { String(format: "%.2f", $0) } ?? "–") ms/req, "
                            + "\(run.errors) errors")
                    runs["\(operation)|\(load.label)", default: [:]][count] = run
                }
            }
            for server in servers { await server.stop() }
        }

        // The cost of a move: the tenant to the second PostgreSQL server.
        let mover = try PostgresInstallation.open(url: primary, masterKey: .keyFile(path: keyFile))
        let moverStore = try await MemoryStore.open(
            mover, servers: try PostgresServers(primary: primary, others: ["b": second]), policies: registry)
        let moved = try await moverStore.moveTenant(
            moving, to: "b", as: AccessContext(actor: "bench-admin", role: .administrator))
        try await moverStore.close()
        mover.close()
        print(
            "   moved \(moveMemories) memories: \(String(format: "%.0f", moved.report.totalMilliseconds)) ms, "
                + "writes paused \(String(format: "%.0f", moved.report.pauseMilliseconds)) ms")
        if postgres == nil { TestPostgresServer.stopStartedCluster() }
        return section(runs, moved: moved.report, adding: adding)
    }

    private func database() async throws -> PostgresURL {
        if let postgres {
            return try await PostgresURL(postgres).database(
                named: "memvault_bench_\(UInt32.random(in: 0...UInt32.max))")
        }
        return try await TestPostgresServer.freshDatabase()
    }

    /// A tenant of `moveMemories` memories, added in batches of 1,000; returns it with how long the adds took.
    private func movingTenant(_ store: MemoryStore) async throws -> (TenantID, Duration) {
        let id = try TenantID("moving")
        try await store.createTenant(id, as: AccessContext(actor: "bench-admin", role: .administrator))
        let tenant = try await store.tenant(
            id, as: AccessContext(actor: "bench", role: .application, purpose: "service-delivery"))
        let subject = try await tenant.resolveSubject(externalID: "moving-user").id
        let cube = try await tenant.createCube(NewCube(owner: .subject(subject), name: "notes")).id
        let sample = Sample()
        let started = ContinuousClock.now
        var added = 0
        while added < moveMemories {
            let batch = min(1_000, moveMemories - added)
            _ = try await tenant.addMemories((0..<batch).map { _ in sample.next() }, to: cube)
            added += batch
        }
        return (id, ContinuousClock.now - started)
    }

    /// PostgreSQL's postmaster, if its data directory is on this machine (its backends are its children).
    private func postmasterPID(_ url: PostgresURL) async throws -> Int32? {
        let directory = try await url.dataDirectory()
        guard let directory, let pidFile = try? String(contentsOfFile: directory + "/postmaster.pid", encoding: .utf8)
        else { return nil }
        return pidFile.split(separator: "\n").first.flatMap { Int32($0) }
    }

    /// One wrk per server at once, the connections split between them; CPU read around the run.
    /// The two loads: light (one connection per server, the cores not yet all busy) and the full connection count
    /// split between the servers (the cores saturated).
    private func loads(servers: Int) -> [(label: String, perServer: Int)] {
        [("one connection per server", 1), ("\(connections) connections", max(1, connections / servers))]
    }

    private func measure(
        _ servers: [ServeProcess], script: URL, wrk: String, postmaster: Int32?, connections perServer: Int
    ) async throws -> Run {
        let serversBefore = servers.map { ProcessCPU.seconds(of: $0.pid) ?? 0 }
        let databaseBefore = postmaster.map(ProcessCPU.seconds(ofTree:))
        let generatorBefore = ProcessCPU.reapedChildrenSeconds()
        let loads = try await withThrowingTaskGroup(of: (Int, ServerLoadScenario.Load).self) { group in
            for (index, address) in servers.map(\.address).enumerated() {
                group.addTask {
                    (
                        index,
                        try await ServerLoadScenario.measure(
                            wrk: wrk, script: script, base: address, connections: perServer, threads: 1,
                            seconds: seconds)
                    )
                }
            }
            var loads: [Int: ServerLoadScenario.Load] = [:]
            for try await (index, load) in group { loads[index] = load }
            return servers.indices.map { loads[$0]! }
        }
        var serverCPU: [Double] = []
        for (index, server) in servers.enumerated() {
            let used: Double = (ProcessCPU.seconds(of: server.pid) ?? 0) - serversBefore[index]
            serverCPU.append(used * 1_000 / Double(max(loads[index].requests, 1)))
        }
        let requests = loads.map(\.requests).reduce(0, +)
        let perRequest: Double = 1_000 / Double(max(requests, 1))
        var databaseCPU: Double?
        if let postmaster, let databaseBefore {
            databaseCPU = (ProcessCPU.seconds(ofTree: postmaster) - databaseBefore) * perRequest
        }
        let generatorCPU: Double = (ProcessCPU.reapedChildrenSeconds() - generatorBefore) * perRequest
        let throughput: Double = loads.map(\.requestsPerSecond).reduce(0, +)
        let p99: Double = (loads.map(\.p99Microseconds).max() ?? 0) / 1_000
        return Run(
            throughput: throughput, p99Milliseconds: p99, serverCPU: serverCPU, databaseCPU: databaseCPU,
            loadGeneratorCPU: generatorCPU,
            requests: requests, errors: loads.map(\.errors).reduce(0, +))
    }

    private func section(_ runs: [String: [Int: Run]], moved: TenantMoveReport, adding: Duration) -> ReportSection {
        var rows: [Measurement] = []
        var notes: [String] = []
        for (operation, name) in [("get", "GET /v1/memories/{id}"), ("add", "POST one memory")] {
            for load in loads(servers: 1).map(\.label) {
                guard let byCount = runs["\(operation)|\(load)"], let one = byCount[1] else { continue }
                let label = "\(name), \(load)"
                let oneServerCPU = one.serverCPU.reduce(0, +) / Double(one.serverCPU.count)
                for count in 2...3 {
                    guard let run = byCount[count] else { continue }
                    let serverCPU = run.serverCPU.reduce(0, +) / Double(run.serverCPU.count)
                    rows.append(
                        Measurement(
                            label: "\(label), \(count) servers: throughput", value: run.throughput, unit: "req/s",
                            baselineLabel: "1 server", baseline: one.throughput, higherIsBetter: true))
                    rows.append(
                        Measurement(
                            label: "\(label), \(count) servers: p99", value: run.p99Milliseconds, unit: "ms",
                            baselineLabel: "1 server", baseline: one.p99Milliseconds, higherIsBetter: false))
                    rows.append(
                        Measurement(
                            label: "\(label), \(count) servers: CPU per request of a server (mean)",
                            value: serverCPU, unit: "ms", baselineLabel: "1 server", baseline: oneServerCPU,
                            higherIsBetter: false))
                    if let database = run.databaseCPU, let oneDatabase = one.databaseCPU {
                        rows.append(
                            Measurement(
                                label: "\(label), \(count) servers: CPU per request of PostgreSQL", value: database,
                                unit: "ms", baselineLabel: "1 server", baseline: oneDatabase, higherIsBetter: false))
                    }
                }
                for count in 1...3 {
                    guard let run = byCount[count] else { continue }
                    notes.append(
                        "\(label), \(count) server\(count == 1 ? "" : "s"): \(run.requests) requests, \(run.errors) "
                            + "errors; CPU per request of each server "
                            + run.serverCPU.map { String(format: "%.3f", $0) }.joined(separator: ", ")
                            + " ms; PostgreSQL "
                            + (run.databaseCPU.map { String(format: "%.3f ms", $0) }
                                ?? "not measured (not on this machine)")
                            + String(format: "; wrk %.3f ms", run.loadGeneratorCPU) + ".")
                }
            }
        }
        rows.append(
            Measurement(
                label: "tenant move, \(moveMemories.formatted()) memories: the whole move",
                value: moved.totalMilliseconds / 1_000, unit: "s",
                baselineLabel: "adding them (batches of 1,000)", baseline: adding.seconds, higherIsBetter: false))
        rows.append(
            Measurement(
                label: "tenant move, \(moveMemories.formatted()) memories: its writes paused",
                value: moved.pauseMilliseconds / 1_000, unit: "s", baselineLabel: "adding them (batches of 1,000)",
                baseline: adding.seconds, higherIsBetter: false))
        notes.append(
            "The move copied \(moved.rows.formatted()) rows in \(moved.tables) tables (\(moved.auditEntries) audit "
                + "entries) from one database to another of the same cluster, checked each table, switched the "
                + "catalog and dropped the old copy; the tenant's reads went on throughout, its writes waited for "
                + "the pause. Its audit log verified on the new server afterwards.")
        notes.append(
            "wrk: one per server (one thread each), with one connection per server (light load: the cores are not "
                + "all busy, so added servers add throughput) and with \(connections) connections split between the "
                + "servers (the cores saturated), \(seconds) s per operation and load; \(tenants) tenants with \(memories.formatted()) memories each; p99 is "
                + "the worst of the servers'. Everything on one 2-core machine: servers, PostgreSQL and wrk share the "
                + "cores, so added servers compete for the same CPU.")
        return ReportSection(
            title: name,
            description: """
                One PostgreSQL (loopback, `synchronous_commit = off`) behind 1, 2 and 3 `memvault serve` processes, \
                each its own process as in a deployment; wrk drives reads by id and single adds over HTTP, every \
                request authenticated, decided, sealed or opened and audited, all tenants' writes serialised per \
                tenant across servers by the tenant's advisory lock. CPU time per request is read from /proc for \
                each server process (its own requests) and for PostgreSQL's postmaster and backends (all requests). \
                Baseline: the same figure with one server, in the same run. Then one tenant moved to a second \
                PostgreSQL database, against the time it took to add its memories.
                """,
            rows: rows, notes: notes)
    }
}
