import Dispatch
import Foundation
import MemVault
import Synchronization

/// Issue 8: `memvault memory import` of 100,000 JSON lines through the real command line (a fresh data folder per
/// round, the process started and stopped, every memory decided, sealed and audited), against a plain SQLite import
/// of the same lines in the same run: each line decoded and inserted in plaintext, in batches of the same size.
struct ImportScenario: Scenario {
    let lines: Int
    let rounds: Int
    let name = "memory import"
    let batchSize = 500

    func run() async throws -> ReportSection {
        let binary = try Self.memvaultBinary()
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-import-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appending(path: "lines.jsonl")
        try Self.writeLines(lines, to: input)

        var leftovers: [String] = []
        var round = 0
        let (imported, plain) = try await paired(rounds: rounds) {
            round += 1
            let data = folder.appending(path: "data-\(round)")
            let rate = try importThroughCommandLine(binary, input: input, data: data)
            leftovers += try Self.walFiles(under: data)
            try? FileManager.default.removeItem(at: data)
            return rate
        } baseline: {
            round += 1
            return try await importPlain(input, into: folder.appending(path: "plain-\(round).sqlite"))
        }
        return ReportSection(
            title: "Importing memories",
            description: """
                `memvault memory import` reading \(lines.formatted()) JSON lines (~200-byte texts, two tags, a source \
                detail) from standard input into a shared cube of a new tenant (kept without a search index, as in the store section): the command started, the store \
                opened, lines decoded, each batch of up to \(batchSize) decided with the default policy, sealed and \
                recorded with one audit entry listing its ids (4 batches in flight), every line acknowledged, the \
                store closed. The baseline decodes the same lines with the same decoder and inserts them in \
                plaintext into a table of the same shape, in transactions of \(batchSize), in this process.
                """,
            rows: [
                Measurement(
                    label: "memory import, \(lines.formatted()) lines", value: imported, unit: "memories/s",
                    baselineLabel: "plain SQLite import", baseline: plain, higherIsBetter: true)
            ],
            notes: [
                "Aim (issue 8): at least 15,000 memories/s.",
                "Median of \(rounds) rounds, MemVault and the baseline alternating; the MemVault figure includes "
                    + "starting the process, opening and cleanly closing the store.",
                leftovers.isEmpty
                    ? "Every clean close left no -wal or -shm file in the data folder."
                    : "Left behind after a clean close: \(leftovers.joined(separator: ", ")).",
            ])
    }

    /// Times one import into a fresh installation; memories per second.
    private func importThroughCommandLine(_ binary: URL, input: URL, data: URL) throws -> Double {
        let environment = ["MEMVAULT_KEY_DIR": data.path + "-keys", "MEMVAULT_POLICIES": policies.path]
        let store = ["--data", data.path]
        let purpose = ["--purpose", "service-delivery"]
        _ = try Self.run(binary, ["init"] + store, environment: environment)
        _ = try Self.run(binary, ["tenant", "create", "bench"] + store, environment: environment)
        let cube = try Self.run(
            binary,
            [
                "cube", "create", "--tenant", "bench", "--shared", "--name", "import", "--no-search-index", "--json",
            ] + store + purpose,
            environment: environment)
        guard let object = try JSONSerialization.jsonObject(with: cube) as? [String: Any],
            let cubeID = object["id"] as? String
        else { throw ScenarioFailure("cube create printed no id") }
        let clock = ContinuousClock()
        let start = clock.now
        let output = try Self.run(
            binary,
            ["memory", "import", "--tenant", "bench", "--cube", cubeID, "--batch-size", "\(batchSize)"]
                + store + purpose,
            environment: environment, input: input)
        let elapsed = start.duration(to: clock.now).seconds
        let summary = String(decoding: output, as: UTF8.self)
        guard summary.contains("Imported \(lines) memories; 0 lines failed.") else {
            throw ScenarioFailure("the import did not store every line: \(summary.suffix(200))")
        }
        try? FileManager.default.removeItem(atPath: data.path + "-keys")
        return Double(lines) / elapsed
    }

    let policies: URL

    init(lines: Int, rounds: Int, policies: URL) {
        self.lines = lines
        self.rounds = rounds
        self.policies = policies
    }

    /// The same lines into plain SQLite, in this process; memories per second.
    private func importPlain(_ input: URL, into path: URL) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let plain = try PlainBaseline(path: path.path)
        let decoder = JSONDecoder()
        var batch: [NewMemory] = []
        for line in try Data(contentsOf: input).split(separator: UInt8(ascii: "\n")) {
            let decoded = try decoder.decode(PlainLine.self, from: line)
            batch.append(
                NewMemory(content: .text(decoded.text), tags: decoded.tags, sourceDetail: decoded.sourceDetail))
            if batch.count == batchSize {
                try await plain.insert(batch, cube: "cube", subject: "subject")
                batch = []
            }
        }
        if !batch.isEmpty { try await plain.insert(batch, cube: "cube", subject: "subject") }
        try plain.close()
        return Double(lines) / start.duration(to: clock.now).seconds
    }

    private struct PlainLine: Decodable {
        let text: String
        let tags: [String]
        let sourceDetail: String
    }

    // MARK: - Helpers

    /// The `memvault` binary built beside this benchmark (`swift build -c release` builds both).
    static func memvaultBinary() throws -> URL {
        let here = URL(filePath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        let binary = here.appending(path: "memvault")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ScenarioFailure(
                "\(binary.path) is missing: build everything with `swift build -c release`, then run "
                    + "`.build/release/memvault-bench`")
        }
        return binary
    }

    static func writeLines(_ count: Int, to url: URL) throws {
        let sample = Sample()
        var text = ""
        text.reserveCapacity(count * 260)
        let encoder = JSONEncoder()
        for _ in 0..<count {
            let memory = sample.next()
            guard case .text(let content) = memory.content else { continue }
            let line = PlainLineOutput(text: content, tags: memory.tags, sourceDetail: memory.sourceDetail ?? "")
            text += String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    private struct PlainLineOutput: Encodable {
        let text: String
        let tags: [String]
        let sourceDetail: String
    }

    static func walFiles(under folder: URL) throws -> [String] {
        (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") }
    }

    /// Runs the command line to completion; its standard output, or a failure with its standard error.
    static func run(_ binary: URL, _ arguments: [String], environment: [String: String], input: URL? = nil) throws
        -> Data
    {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        if let input { process.standardInput = try FileHandle(forReadingFrom: input) }
        try process.run()
        // Standard error is drained while the child runs, so a full pipe never blocks it.
        let errorText = Mutex(Data())
        let drained = DispatchGroup()
        DispatchQueue.global().async(group: drained) {
            let text = error.fileHandleForReading.readDataToEndOfFile()
            errorText.withLock { $0 = text }
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorText.withLock { $0 }, as: UTF8.self)
            throw ScenarioFailure("memvault \(arguments.prefix(2).joined(separator: " ")) failed: \(message)")
        }
        return data
    }
}
