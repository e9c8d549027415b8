import Foundation
import Logging
import MemVault
import PostgresNIO
import Synchronization
import Testing

@testable import MemVaultPostgres

/// A fresh database for one test on the test PostgreSQL server: `MEMVAULT_TEST_POSTGRES_URL` if set (`.ci/run` and
/// `scripts/test` start a throwaway cluster and set it), else a throwaway cluster this process starts with
/// `scripts/postgres` and stops when it exits.
struct PostgresTestDatabase: Sendable {
    let url: PostgresURL

    static func make() async throws -> PostgresTestDatabase {
        let server = try PostgresURL(try serverURL())
        let name = "test_\(UUID().uuidString.lowercased().replacing("-", with: ""))"
        let workers = PostgresWorkers(url: server, threads: 1, logger: Logger(label: "test"))
        _ = try await workers.run { try $0.execute(.init(unsafeSQL: "CREATE DATABASE \(name)"), "creating a database") }
        await workers.shutdown()
        return PostgresTestDatabase(
            url: try PostgresURL("postgres://\(server.username)@\(server.host):\(server.port)/\(name)"))
    }

    private static let started = Mutex<Result<String, any Error>?>(nil)

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
        atexit {
            let stop = Process()
            stop.executableURL = URL(filePath: PostgresTestDatabase.script)
            stop.arguments = ["stop", PostgresTestDatabase.clusterFolder]
            stop.standardOutput = FileHandle.nullDevice
            try? stop.run()
            // Given time to stop the server before this process is gone (not waited on, as above).
            for _ in 0..<100 where FileManager.default.fileExists(atPath: PostgresTestDatabase.clusterFolder) {
                usleep(100_000)
            }
        }
        return url.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
