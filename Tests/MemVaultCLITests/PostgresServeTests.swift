import Foundation
import MemVaultPostgres
import MemVaultPostgresTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `memvault init`, `tenant create` and `serve` on PostgreSQL (`--postgres`), and several servers in front of one
/// database writing the same tenant at once: no write lost or duplicated, every audit log one verifying chain.
@Suite("memvault on PostgreSQL")
struct PostgresServeTests {
    static func post(_ address: String, _ path: String, token: String, body: [String: Any]) async throws -> [String:
        Any]
    {
        var request = URLRequest(url: URL(string: address + path)!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("service-delivery", forHTTPHeaderField: "MemVault-Purpose")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw CocoaError(
                .fileReadUnknown, userInfo: ["status": status, "body": String(decoding: data, as: UTF8.self)])
        }
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("three servers on one database write one tenant at once: nothing lost or doubled, the logs verify")
    func threeServers() async throws {
        let (folder, sqlite) = try CommandRunner.installationWithTenant()
        _ = folder
        var cli = sqlite
        cli.postgres = try await TestPostgresServer.freshDatabase().description
        let initialised = try cli.run(["init", "--json"])
        #expect(initialised.status == 0, "\(initialised.standardOutput)\(initialised.standardError)")
        #expect(try initialised.json()["postgres"] as? String == cli.postgres)
        #expect(try cli.run(["init", "--json"]).status != 0, "a second init is refused")
        #expect(try cli.run(["tenant", "create", "acme", "--json"]).status == 0)
        let token = try cli.run(["credential", "create", "--tenant", "acme", "--as", "application", "--json"])
            .string("token")
        let subject = try cli.run(["subject", "resolve", "--tenant", "acme", "--external-id", "ana", "--json"])
            .string("id")
        let cube = try cli.run([
            "cube", "create", "--tenant", "acme", "--subject", subject, "--name", "notes", "--json",
        ]).string("id")

        var servers: [(Process, String)] = []
        defer { for (server, _) in servers { CommandRunner.stop(server) } }
        for _ in 0..<3 {
            let (server, printed) = try cli.startServer()
            let address = try #require(printed.firstMatch(of: /(http:\/\/127\.0\.0\.1:\d+)\n/).map { String($0.1) })
            servers.append((server, address))
        }
        let perServer = 40
        let addresses = servers.map(\.1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<(3 * perServer) {
                group.addTask {
                    _ = try await Self.post(
                        addresses[index % 3], "/v1/cubes/\(cube)/memories", token: token,
                        body: ["memories": [["text": "note \(index)"]]])
                }
            }
            try await group.waitForAll()
        }

        let listed = try cli.run(["memory", "list", "--tenant", "acme", "--cube", cube, "--limit", "500", "--json"])
        let items = try #require(try listed.json()["items"] as? [[String: Any]])
        let texts = items.compactMap { ($0["content"] as? [String: Any])?["text"] as? String }
        #expect(texts.count == 3 * perServer)
        #expect(Set(texts) == Set((0..<(3 * perServer)).map { "note \($0)" }))

        let verified = try cli.run(["audit", "verify", "--json"])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
        #expect(try verified.json()["valid"] as? Bool == true)
        let log = try cli.run(["audit", "log", "--tenant", "acme", "--json", "--role", "auditor"])
        let entries = try log.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let sequences = entries.compactMap { $0["sequence"] as? Int }
        #expect(sequences == Array(1...max(sequences.count, 1)), "gapless, in order")
        #expect(entries.count { ($0["action"] as? String) == "write" } >= 3 * perServer)
    }
}
