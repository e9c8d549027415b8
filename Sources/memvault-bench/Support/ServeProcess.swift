import Foundation

/// A `memvault serve` process, as an operator runs one of several: started with its arguments, its log in a file,
/// ready once it says where it listens; stopped with SIGTERM.
final class ServeProcess {
    let process = Process()
    let address: String
    private let exited: AsyncStream<Void>

    init(binary: URL, arguments: [String], log: URL) async throws {
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw ScenarioFailure("cannot create \(log.path)")
        }
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.standardOutput = FileHandle.nullDevice
        // A file, not a pipe: nobody would drain a pipe while the server runs.
        process.standardError = try FileHandle(forWritingTo: log)
        let (exited, continuation) = AsyncStream.makeStream(of: Void.self)
        self.exited = exited
        process.terminationHandler = { _ in continuation.finish() }
        try process.run()
        var address: String?
        for _ in 0..<600 where address == nil {
            let printed = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            address = printed.firstMatch(of: /is listening on (http:\/\/127\.0\.0\.1:\d+)/).map { String($0.1) }
            if address == nil {
                guard process.isRunning else { throw ScenarioFailure("memvault serve exited: \(printed.suffix(500))") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard let address else { throw ScenarioFailure("memvault serve did not start within a minute") }
        self.address = address
    }

    var pid: Int32 { process.processIdentifier }

    func stop() async {
        process.terminate()
        for await _ in exited {}
    }
}
