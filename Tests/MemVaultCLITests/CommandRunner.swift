import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `memvault` binary, as a user would, and captures what it prints.
struct CommandRunner {
    struct Outcome {
        let status: Int32
        let standardOutput: String
        let standardError: String

        /// The value of `key` in the JSON document on standard output.
        func string(_ key: String) throws -> String {
            try #require(json()[key] as? String, "no \(key) in \(standardOutput) \(standardError)")
        }

        /// The JSON document on standard output.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(standardOutput.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(standardOutput)")
        }
    }

    let dataFolder: String
    var environment: [String: String] = [:]
    /// A PostgreSQL database to act on (`--postgres`) instead of the data folder.
    var postgres: String?
    /// Appended to every command that takes a purpose (those on a tenant's subjects, cubes, memories, consent and
    /// holds, and `audit log`): the repository's policies and a purpose the default policy permits. Other commands
    /// that open the store get the policies only.
    var context = ["--policies", Self.policiesFolder, "--purpose", "service-delivery"]
    /// The policies folder of commands that take no purpose.
    var policies = Self.policiesFolder

    /// A new installation in a temporary folder, initialised, with the tenant `acme` under the default policy.
    static func installationWithTenant() throws -> (TemporaryFolder, CommandRunner) {
        let folder = try TemporaryFolder()
        let cli = CommandRunner(dataFolder: folder.appending("data"))
        try cli.run(["init"])
        try cli.run(["tenant", "create", "acme"])
        return (folder, cli)
    }

    /// Where default master keys go: beside the data folder, in the test's own temporary folder.
    var keyFolder: String { dataFolder + "-keys" }

    /// The options this runner adds to `arguments`.
    func added(to arguments: [String]) -> [String] {
        let command = arguments.first ?? ""
        if ["subject", "cube", "memory", "search", "consent", "hold", "index"].contains(command)
            || arguments.prefix(2) == ["audit", "log"]
        {
            return context
        }
        if ["tenant", "keys", "audit", "retention", "erase", "restriction", "credential", "export", "import"].contains(
            command)
        {
            return ["--policies", policies]
        }
        return []
    }

    static let policiesFolder = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Policies").path

    /// `swift test` builds the executable next to the test bundle, because the test target depends on it.
    static var binary: URL {
        get throws {
            let folder = try #require(Bundle.main.executableURL).deletingLastPathComponent()
            let url = folder.appending(path: "memvault")
            try #require(FileManager.default.isExecutableFile(atPath: url.path), "memvault not built at \(url.path)")
            return url
        }
    }

    /// The repository's model folder (`./scripts/fetch-model` fills it), for commands that embed.
    static let modelsFolder = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Models").path

    /// A configured, not yet started process for `arguments`; with `wrapper`, the binary runs under that command
    /// (e.g. `unshare -rn`).
    func process(_ arguments: [String], withData: Bool = true, wrapper: [String] = []) throws -> Process {
        let process = Process()
        let location = postgres.map { ["--postgres", $0] } ?? ["--data", dataFolder]
        let full = arguments + (withData ? location + added(to: arguments) : [])
        if let tool = wrapper.first {
            process.executableURL = URL(filePath: tool)
            process.arguments = Array(wrapper.dropFirst()) + [try Self.binary.path] + full
        } else {
            process.executableURL = try Self.binary
            process.arguments = full
        }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "MEMVAULT_MASTER_KEY")
        environment.removeValue(forKey: "MEMVAULT_DATA")
        environment["MEMVAULT_KEY_DIR"] = keyFolder
        environment["MEMVAULT_MODELS"] = Self.modelsFolder
        environment.merge(self.environment) { $1 }
        process.environment = environment
        return process
    }

    /// `memvault serve` on a free port with `options`, started; returns it with what it printed up to and including
    /// its listening line (the bootstrap credential comes before it). Stop it with `stop(_:)`.
    func startServer(_ options: [String] = []) throws -> (process: Process, printed: String) {
        let server = try process(["serve", "--port", "0", "--policies", Self.policiesFolder] + options)
        let errors = Pipe()
        server.standardError = errors
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        var printed = ""
        while !printed.contains("is listening on") || !printed.hasSuffix("\n") {
            let chunk = errors.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        return (server, printed)
    }

    /// SIGTERM, then waits for it to exit.
    static func stop(_ server: Process) {
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
    }

    @discardableResult
    func run(_ arguments: [String], withData: Bool = true, input: Data? = nil, wrapper: [String] = []) throws -> Outcome
    {
        let process = try process(arguments, withData: withData, wrapper: wrapper)
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let standardInput = Pipe()
        process.standardInput = standardInput
        try process.run()
        if let input { standardInput.fileHandleForWriting.write(input) }
        try standardInput.fileHandleForWriting.close()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }
}

/// A fresh folder under the system temporary directory, removed when the value is released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "memvault-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func appending(_ component: String) -> String { url.appending(path: component).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
