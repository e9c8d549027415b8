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
    /// A request that the servers answer 503 while its tenant moves is sent again, as a client would.
    static func post(_ address: String, _ path: String, token: String, body: [String: Any]) async throws -> [String:
        Any]
    {
        var request = URLRequest(url: URL(string: address + path)!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("service-delivery", forHTTPHeaderField: "MemVault-Purpose")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        for _ in 0..<50 {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if status == 503 {
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            guard (200..<300).contains(status) else {
                throw CocoaError(
                    .fileReadUnknown, userInfo: ["status": status, "body": String(decoding: data, as: UTF8.self)])
            }
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        throw CocoaError(.fileReadUnknown, userInfo: ["status": 503])
    }

    @Test(
        "servers on one PostgreSQL write two tenants at once while one moves: nothing lost or doubled, logs verify",
        arguments: [2, 3])
    func serversWritingTenants(_ count: Int) async throws {
        let (folder, sqlite) = try CommandRunner.installationWithTenant()
        _ = folder
        var cli = sqlite
        cli.postgres = try await TestPostgresServer.freshDatabase().description
        // A second PostgreSQL server tenants can be placed on, given to every command and server alike.
        cli.environment["MEMVAULT_POSTGRES_SERVERS"] = "b=\(try await TestPostgresServer.freshDatabase())"
        let initialised = try cli.run(["init", "--json"])
        #expect(initialised.status == 0, "\(initialised.standardOutput)\(initialised.standardError)")
        #expect(try initialised.json()["postgres"] as? String == cli.postgres)
        #expect(try cli.run(["init", "--json"]).status != 0, "a second init is refused")
        let tenants = ["acme", "globex"]
        var tokens: [String: String] = [:]
        var cubes: [String: String] = [:]
        for tenant in tenants {
            #expect(try cli.run(["tenant", "create", tenant, "--json"]).status == 0)
            tokens[tenant] = try cli.run(["credential", "create", "--tenant", tenant, "--as", "application", "--json"])
                .string("token")
            let subject = try cli.run(["subject", "resolve", "--tenant", tenant, "--external-id", "ana", "--json"])
                .string("id")
            cubes[tenant] = try cli.run([
                "cube", "create", "--tenant", tenant, "--subject", subject, "--name", "notes", "--json",
            ]).string("id")
        }
        let placed = try cli.run(["tenant", "servers", "--json"])
        let loads = try #require(try placed.json()["servers"] as? [[String: Any]])
        #expect(loads.map { $0["tenants"] as? Int } == [1, 1], "one tenant on each server: \(placed.standardOutput)")

        var servers: [(Process, String)] = []
        defer { for (server, _) in servers { CommandRunner.stop(server) } }
        for _ in 0..<count {
            let (server, printed) = try cli.startServer()
            let address = try #require(printed.firstMatch(of: /(http:\/\/127\.0\.0\.1:\d+)\n/).map { String($0.1) })
            servers.append((server, address))
        }
        let perTenant = 30 * count
        let addresses = servers.map(\.1)
        let (tokensWritten, cubesWritten, mover) = (tokens, cubes, cli)
        // acme (placed on b) moves to primary while every server writes both tenants.
        let moved = try await withThrowingTaskGroup(of: CommandRunner.Outcome?.self) { group in
            for index in 0..<(2 * perTenant) {
                let tenant = tenants[index % 2]
                group.addTask {
                    _ = try await Self.post(
                        addresses[index % addresses.count], "/v1/cubes/\(cubesWritten[tenant]!)/memories",
                        token: tokensWritten[tenant]!, body: ["memories": [["text": "\(tenant) note \(index / 2)"]]])
                    return nil
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(300))
                return try mover.run(["tenant", "move", "acme", "--to", "primary", "--json"])
            }
            var moved: CommandRunner.Outcome?
            for try await result in group { if let result { moved = result } }
            return try #require(moved)
        }
        #expect(moved.status == 0, "\(moved.standardOutput)\(moved.standardError)")
        let report = try #require(try moved.json()["report"] as? [String: Any])
        #expect(report["from"] as? String == "b" && report["to"] as? String == "primary")
        #expect(moved.standardError.contains("copied memories:"), "progress is shown")

        for tenant in tenants {
            let listed = try cli.run([
                "memory", "list", "--tenant", tenant, "--cube", cubes[tenant]!, "--limit", "500", "--json",
            ])
            let items = try #require(try listed.json()["items"] as? [[String: Any]])
            let texts = items.compactMap { ($0["content"] as? [String: Any])?["text"] as? String }
            #expect(texts.count == perTenant, "\(tenant)")
            #expect(Set(texts) == Set((0..<perTenant).map { "\(tenant) note \($0)" }), "\(tenant)")

            let log = try cli.run(["audit", "log", "--tenant", tenant, "--json", "--role", "auditor"])
            let entries = try log.standardOutput.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            let sequences = entries.compactMap { $0["sequence"] as? Int }
            #expect(sequences == Array(1...max(sequences.count, 1)), "gapless, in order")
            #expect(entries.count { ($0["action"] as? String) == "write" } >= perTenant)
        }
        let verified = try cli.run(["audit", "verify", "--json"])
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
        #expect(try verified.json()["valid"] as? Bool == true)
    }

    @Test("the key store in a database of its own (--postgres-keys): every command needs it, and finds its keys there")
    func keyStoreApart() async throws {
        let (folder, sqlite) = try CommandRunner.installationWithTenant()
        _ = folder
        var cli = sqlite
        cli.postgres = try await TestPostgresServer.freshDatabase().description
        let keys = try await TestPostgresServer.freshDatabase().description
        let initialised = try cli.run(["init", "--postgres-keys", keys, "--json"])
        #expect(initialised.status == 0, "\(initialised.standardOutput)\(initialised.standardError)")
        #expect(try initialised.string("keyStore").hasPrefix(keys))
        let without = try cli.run(["tenant", "create", "acme", "--json"])
        #expect(without.status != 0 && without.standardOutput.contains("--postgres-keys"), "\(without.standardOutput)")
        cli.environment["MEMVAULT_POSTGRES_KEYS"] = keys
        #expect(try cli.run(["tenant", "create", "acme", "--json"]).status == 0)
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "notes", "--json"]).string(
            "id")
        let added = try cli.run(["memory", "add", "--tenant", "acme", "--cube", cube, "--text", "apart", "--json"])
        #expect(added.status == 0, "\(added.standardOutput)\(added.standardError)")
        let verified = try cli.run(["audit", "verify", "--json"])
        #expect(try verified.json()["valid"] as? Bool == true)
    }
}
