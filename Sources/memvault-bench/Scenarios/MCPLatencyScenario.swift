import Foundation
import Logging
import MemVault
import MemVaultPolicy
import MemVaultSQLite
import MemVaultServer
import ServiceLifecycle

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Tool-call latency of the MCP server (issue 13): `remember` and `recall` over stdio (`memvault mcp`, a separate
/// process on pipes) and over streamable HTTP (`/mcp` of the server in this process), one call at a time. Baselines
/// in the same run: for stdio, the same operation through the library in process (what the protocol and the process
/// hop add); for HTTP, its REST equivalent on the same server (what MCP adds over REST).
struct MCPLatencyScenario: Scenario {
    let name = "MCP tool calls"
    let policies: URL
    /// Calls measured per operation and transport, after a warm-up.
    let calls: Int
    let memories = 1_000

    func run() async throws -> ReportSection {
        let binary = try ImportScenario.memvaultBinary()
        let bench = try await BenchInstallation.make("mcp", policies: policies)
        let administrator = AccessContext(actor: "bench-admin", role: .administrator)
        let subject = try await bench.tenant.resolveSubject(externalID: "agent-user").id
        let cube = try await bench.tenant.createCube(
            NewCube(owner: .subject(subject), name: "chat", defaultCategory: "conversation")
        ).id
        var corpus = SyntheticText(seed: 13)
        _ = try await bench.tenant.addMemories(
            (0..<memories).map { _ in NewMemory(content: .text(corpus.text())) }, to: cube)
        let token = try await bench.store.createCredential(
            NewCredential(tenant: TenantID("bench"), role: .application, purposes: ["service-delivery"]),
            as: administrator
        ).token
        let queries = (0..<64).map { _ in corpus.text().split(separator: " ").prefix(3).joined(separator: " ") }

        // stdio: memvault mcp in its own process, on the same data folder.
        let stdio = try StdioClient(
            binary: binary,
            arguments: [
                "mcp", "--data", bench.folder.appending(path: "data").path, "--key-file",
                bench.folder.appending(path: "master.key").path, "--policies", policies.path, "--subject",
                subject.rawValue, "--purpose", "service-delivery",
            ], token: token)
        defer { stdio.stop() }
        try stdio.initialize()
        let confined = bench.tenant.confined(to: subject)
        var timings: [String: [Double]] = [:]
        for round in 0..<(calls + 20) {
            let text = corpus.text()
            let query = queries[round % queries.count]
            let rememberStdio = try time { try stdio.call("remember", ["content": text, "cube": cube.rawValue]) }
            let recallStdio = try time { try stdio.call("recall", ["query": query]) }
            let rememberLibrary = try await asyncTime {
                _ = try await confined.addMemories([NewMemory(content: .text(text))], to: cube)
            }
            let recallLibrary = try await asyncTime {
                _ = try await confined.search(SearchQuery(query, in: .subject(subject)))
            }
            guard round >= 20 else { continue }
            timings["remember stdio", default: []].append(rememberStdio)
            timings["recall stdio", default: []].append(recallStdio)
            timings["remember library", default: []].append(rememberLibrary)
            timings["recall library", default: []].append(recallLibrary)
        }
        stdio.stop()

        // HTTP: the server in this process, /mcp beside its REST routes.
        let logger = Logger(label: "memvault-bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = MemVaultServer(
            store: bench.store,
            configuration: .init(port: 0, retentionInterval: nil, checkpointInterval: .seconds(3_600)),
            logger: logger)
        let app = try server.application { continuation.yield($0) }
        let group = ServiceGroup(services: [app], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ScenarioFailure("the server did not start") }
            let base = URL(string: "http://127.0.0.1:\(port)")!
            let http = try await HTTPClient.open(base, token: token, subject: subject.rawValue)
            for round in 0..<(calls + 20) {
                let text = corpus.text()
                let query = queries[round % queries.count]
                let rememberMCP = try await asyncTime {
                    try await http.call("remember", ["content": text, "cube": cube.rawValue])
                }
                let recallMCP = try await asyncTime { try await http.call("recall", ["query": query]) }
                let rememberREST = try await asyncTime {
                    try await http.rest("v1/cubes/\(cube)/memories", ["memories": [["text": text]]])
                }
                let recallREST = try await asyncTime {
                    try await http.rest("v1/search", ["query": query, "subject": subject.rawValue])
                }
                guard round >= 20 else { continue }
                timings["remember http", default: []].append(rememberMCP)
                timings["recall http", default: []].append(recallMCP)
                timings["remember rest", default: []].append(rememberREST)
                timings["recall rest", default: []].append(recallREST)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await bench.close()

        var rows: [Measurement] = []
        for (transport, baselineKey, baselineLabel) in [
            ("stdio", "library", "the same operation in process (TenantStore)"),
            ("http", "rest", "its REST equivalent on the same server"),
        ] {
            for tool in ["remember", "recall"] {
                let ours = timings["\(tool) \(transport)"] ?? []
                let theirs = timings["\(tool) \(baselineKey)"] ?? []
                for (quantile, label) in [(0.50, "p50"), (0.99, "p99")] {
                    rows.append(
                        Measurement(
                            label: "\(tool) over \(transport == "http" ? "HTTP" : "stdio") \(label)",
                            value: ours.sorted().percentile(quantile) * 1000, unit: "ms", baselineLabel: baselineLabel,
                            baseline: theirs.sorted().percentile(quantile) * 1000, higherIsBetter: false))
                }
            }
        }
        return ReportSection(
            title: "MCP tool calls",
            description: """
                One subject with \(memories.formatted()) memories; \(calls) calls of each tool after 20 warm-up \
                calls, one at a time: `remember` (one memory, encrypted, indexed and committed with its audit entry) \
                and `recall` (the top 10 by words). Over stdio the client is this process speaking JSON-RPC to \
                `memvault mcp` on pipes; over HTTP it speaks to `/mcp` of the server in this process (one session; \
                each answer is an event stream). Baselines in the same run: the library call in process for stdio, \
                the REST equivalent (POST /v1/cubes/{id}/memories, POST /v1/search) for HTTP.
                """,
            rows: rows)
    }

    private func time(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        return (ContinuousClock.now - start).seconds
    }

    private func asyncTime(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        return (ContinuousClock.now - start).seconds
    }
}

/// `memvault mcp` on pipes: newline-delimited JSON-RPC, one request at a time.
private final class StdioClient {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    private var buffer = Data()
    private var nextID = 1

    init(binary: URL, arguments: [String], token: String) throws {
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["MEMVAULT_API_KEY"] = token
        environment.removeValue(forKey: "MEMVAULT_SERVER")
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func initialize() throws {
        _ = try request(
            "initialize",
            [
                "protocolVersion": "2025-06-18", "capabilities": [String: Any](),
                "clientInfo": ["name": "memvault-bench", "version": "1"],
            ])
        try send(["jsonrpc": "2.0", "method": "notifications/initialized"])
    }

    func call(_ tool: String, _ arguments: [String: Any]) throws {
        let result = try request("tools/call", ["name": tool, "arguments": arguments])
        guard result["isError"] as? Bool != true else {
            throw ScenarioFailure("\(tool) failed over stdio: \(result["content"] ?? "")")
        }
    }

    private func request(_ method: String, _ parameters: [String: Any]) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": parameters])
        while true {
            let message = try readMessage()
            guard (message["id"] as? Int) == id else { continue }  // notifications
            guard let result = message["result"] as? [String: Any] else {
                throw ScenarioFailure("\(method) over stdio: \(message)")
            }
            return result
        }
    }

    private func send(_ message: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: message)
        data.append(0x0A)
        try input.fileHandleForWriting.write(contentsOf: data)
    }

    private func readMessage() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                if line.isEmpty { continue }
                guard let message = try JSONSerialization.jsonObject(with: line) as? [String: Any] else { continue }
                return message
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ScenarioFailure("memvault mcp closed its output") }
            buffer.append(chunk)
        }
    }

    func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// One MCP session over HTTP, and REST requests with the same credential.
private struct HTTPClient {
    let base: URL
    let token: String
    let session: String

    static func open(_ base: URL, token: String, subject: String) async throws -> HTTPClient {
        var request = URLRequest(url: base.appending(path: "mcp"))
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: [
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": [
                "protocolVersion": "2025-06-18", "capabilities": [String: Any](),
                "clientInfo": ["name": "memvault-bench", "version": "1"],
            ],
        ])
        for (name, value) in headers(token) + [("MemVault-Subject", subject)] {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (_, response) = try await URLSession.shared.data(for: request)
        guard let session = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Mcp-Session-Id") else {
            throw ScenarioFailure("the MCP endpoint opened no session")
        }
        let client = HTTPClient(base: base, token: token, session: session)
        _ = try await client.post(
            base.appending(path: "mcp"), ["jsonrpc": "2.0", "method": "notifications/initialized"])
        return client
    }

    static func headers(_ token: String) -> [(String, String)] {
        [
            ("Authorization", "Bearer \(token)"), ("MemVault-Purpose", "service-delivery"),
            ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
        ]
    }

    func call(_ tool: String, _ arguments: [String: Any]) async throws {
        let data = try await post(
            base.appending(path: "mcp"),
            ["jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": ["name": tool, "arguments": arguments]])
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains("\"result\""), !text.contains("\"isError\":true") else {
            throw ScenarioFailure("\(tool) failed over HTTP: \(text.prefix(300))")
        }
    }

    func rest(_ path: String, _ body: [String: Any]) async throws {
        _ = try await post(base.appending(path: path), body)
    }

    private func post(_ url: URL, _ body: [String: Any]) async throws -> Data {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        for (name, value) in Self.headers(token) { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id")
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) else {
            throw ScenarioFailure("POST \(url.path) answered \(String(decoding: data, as: UTF8.self).prefix(300))")
        }
        return data
    }
}
