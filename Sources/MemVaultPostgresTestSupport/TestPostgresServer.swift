import Foundation
import MemVault
import MemVaultCrypto
package import MemVaultPostgres
import Synchronization

/// The PostgreSQL server tests run against: `MEMVAULT_TEST_POSTGRES_URL` if set (`scripts/test`, and so `.ci/run`,
/// start a throwaway cluster and set it), else a throwaway cluster this process starts with `scripts/postgres` and
/// stops when it exits. Each test works in a database of its own.
package enum TestPostgresServer {
    /// A new, empty database.
    package static func freshDatabase() async throws -> PostgresURL {
        try await database(named: "test_\(UUID().uuidString.lowercased().replacing("-", with: ""))")
    }

    /// The database for `key`, created on first use: the same key gives the same database, as the same folder
    /// gives the same SQLite files (another process opening the same storage).
    package static func database(for key: String) async throws -> PostgresURL {
        try await database(named: "test_\(Hex.encode(try SHA256.hash(Array(key.utf8))).prefix(32))")
    }

    private static func database(named name: String) async throws -> PostgresURL {
        try await PostgresURL(try serverURL()).database(named: name)
    }

    private static let started = Mutex<Result<String, any Error>?>(nil)

    /// Stops the cluster this process started, if it did (at exit at the latest); later calls do nothing.
    package static func stopStartedCluster() {
        let running = started.withLock { started in
            defer { started = nil }
            return (try? started?.get()) != nil
        }
        guard running else { return }
        let stop = Process()
        stop.executableURL = URL(filePath: script)
        stop.arguments = ["stop", clusterFolder]
        stop.standardOutput = FileHandle.nullDevice
        try? stop.run()
        // Given time to stop the server (polled, not waited on: see `startCluster`).
        for _ in 0..<100 where FileManager.default.fileExists(atPath: clusterFolder) { usleep(100_000) }
    }

    private static func serverURL() throws -> String {
        if let url = ProcessInfo.processInfo.environment["MEMVAULT_TEST_POSTGRES_URL"] { return url }
        return try started.withLock { started in
            if let started { return try started.get() }
            let result = Result { try startCluster() }
            started = result
            return try result.get()
        }
    }

    static let script = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "scripts/postgres").path

    static var clusterFolder: String {
        FileManager.default.temporaryDirectory.appending(path: "memvault-pg-\(getpid())").path
    }

    private static func startCluster() throws -> String {
        let process = Process()
        process.executableURL = URL(filePath: script)
        process.arguments = ["start", clusterFolder]
        // Not a pipe: the server the script starts would inherit its end and it would never close.
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The script writes the URL last. Polled for, not waited on: Foundation's `waitUntilExit` was seen not to
        // return here once the script's server was running.
        var url: String?
        for _ in 0..<1_200 where url == nil {
            url = try? String(contentsOfFile: clusterFolder + "/url", encoding: .utf8)
            if url == nil { usleep(100_000) }
        }
        guard let url else { throw MemVaultError(.unavailable, "scripts/postgres could not start a test cluster") }
        atexit { TestPostgresServer.stopStartedCluster() }
        return url.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
