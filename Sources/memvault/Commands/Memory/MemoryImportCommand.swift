import ArgumentParser
import Foundation
import MemVault
import Synchronization

struct MemoryImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add memories from JSON lines on standard input, acknowledging each once it is durable.",
        discussion: """
            Each input line is one memory: {"text": "…"} or {"base64": "…", "mediaType": "…"}, with optional \
            type, category, tags, source, sourceDetail, confidence, occurredAt, validFrom, validUntil, attributes.
            Lines are added in batches (one unit of work and one audit entry per batch, listing its ids); while \
            the store is busy, batches grow. A line is acknowledged after its batch has committed. With --json, \
            each output line acknowledges one input line: {"line": N, "id": "mem_…"} or {"line": N, "error": {…}}, \
            and a last line sums up; without it, errors are printed per line and a summary at the end. A batch \
            that fails as a whole is retried line by line, so each line gets its own answer.
            """)

    @OptionGroup var options: TenantDataOptions
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "The cube (cube_…).") var cube: String
    @Option(help: "Batches in flight at once.") var concurrency = 4
    @Option(name: .customLong("batch-size"), help: "The most lines in one batch.") var batchSize = 500

    struct Line: Decodable {
        var text: String?
        var base64: String?
        var mediaType: String?
        var type: MemoryType?
        var category: String?
        var tags: [String]?
        var source: SourceKind?
        var sourceDetail: String?
        var confidence: Double?
        var occurredAt: String?
        var validFrom: String?
        var validUntil: String?
        var attributes: [String: String]?

        func memory() throws -> NewMemory {
            let content: MemoryContent
            switch (text, base64, mediaType) {
            case (let text?, nil, nil): content = .text(text)
            case (nil, let base64?, let mediaType?):
                guard let data = Data(base64Encoded: base64) else { throw ValidationError("base64 is not valid") }
                content = .binary(bytes: Array(data), mediaType: mediaType)
            default: throw ValidationError("give either text, or base64 with mediaType")
            }
            let date = { (value: String?, name: String) in try value.map { try Timestamps.parse($0, option: name) } }
            return NewMemory(
                content: content, type: type ?? (text == nil ? .activation : .longTerm), category: category,
                tags: tags ?? [], source: source ?? .import, sourceDetail: sourceDetail, confidence: confidence,
                occurredAt: try date(occurredAt, "occurredAt"), validFrom: try date(validFrom, "validFrom"),
                validUntil: try date(validUntil, "validUntil"), attributes: attributes ?? [:])
        }
    }

    struct Acknowledgement: Encodable {
        let line: Int
        var id: MemoryID?
        var error: ErrorDocument.Detail?
    }

    struct Summary: Encodable {
        let imported: Int
        let failed: Int
    }

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency takes 1 to 64") }
        guard (1...1_000).contains(batchSize) else { throw ValidationError("--batch-size takes 1 to 1000") }
    }

    func run() async throws {
        let summary: Summary
        do {
            let cube = try CubeID(cube)
            let output = Output(json: options.json)
            summary = try await options.withOperations(tenant) { store in
                try await importLines(into: store, cube: cube, output: output)
            }
        } catch {
            try options.fail(error)
        }
        if options.json {
            Output.write(try JSONOutput.encode(summary, pretty: false) + "\n")
        } else {
            print(
                "Imported \(summary.imported) memories; \(summary.failed) \(summary.failed == 1 ? "line" : "lines") failed."
            )
        }
        if summary.failed > 0 { throw ExitCode.failure }
    }

    private func importLines(into store: any TenantOperations, cube: CubeID, output: Output) async throws -> Summary {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var pending: [(Int, Data)] = []
            let batchSize = batchSize
            func dispatch(_ lines: [(Int, Data)]) async throws {
                if inFlight == concurrency {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask { await Self.add(lines, to: cube, in: store, output: output) }
                inFlight += 1
            }
            for await chunk in Self.standardInputChunks() {
                pending += chunk
                while pending.count >= batchSize {
                    try await dispatch(Array(pending.prefix(batchSize)))
                    pending.removeFirst(batchSize)
                }
                // With a free slot, what arrived goes out now; while every slot is busy, the batch keeps growing.
                if !pending.isEmpty, inFlight < concurrency {
                    try await dispatch(pending)
                    pending = []
                }
            }
            if !pending.isEmpty { try await dispatch(pending) }
            try await group.waitForAll()
            return output.summary
        }
    }

    /// Decodes and adds one batch; acknowledges every line of it in one write.
    private static func add(_ lines: [(Int, Data)], to cube: CubeID, in store: any TenantOperations, output: Output)
        async
    {
        var acknowledgements: [Acknowledgement] = []
        var valid: [(Int, NewMemory)] = []
        let decoder = JSONDecoder()
        for (number, text) in lines {
            do {
                valid.append((number, try decoder.decode(Line.self, from: text).memory()))
            } catch let error as ValidationError {
                acknowledgements.append(
                    .init(line: number, error: .init(code: "invalid_argument", message: error.message)))
            } catch {
                // The decoder's message may quote the input, which may be personal data: say only where.
                acknowledgements.append(
                    .init(
                        line: number,
                        error: .init(code: "invalid_argument", message: "line \(number) is not a valid memory object")))
            }
        }
        if !valid.isEmpty {
            do {
                let added = try await store.addMemories(valid.map(\.1), to: cube)
                acknowledgements += zip(valid, added).map { Acknowledgement(line: $0.0.0, id: $0.1.id) }
            } catch {
                // One bad line fails its whole batch: retry line by line so each gets its own answer.
                for (number, memory) in valid {
                    do {
                        acknowledgements.append(.init(line: number, id: try await store.addMemory(memory, to: cube).id))
                    } catch {
                        let (code, message) = ErrorDocument.describe(error)
                        acknowledgements.append(.init(line: number, error: .init(code: code, message: message)))
                    }
                }
            }
        }
        output.acknowledge(acknowledgements.sorted { $0.line < $1.line })
    }

    /// Where acknowledgements go: JSON lines, or errors and progress as text. One locked write per batch, so lines
    /// of concurrent batches never interleave.
    final class Output: Sendable {
        let json: Bool
        private let counts = Mutex((imported: 0, failed: 0, reported: 0))

        init(json: Bool) { self.json = json }

        var summary: Summary { counts.withLock { Summary(imported: $0.imported, failed: $0.failed) } }

        func acknowledge(_ acknowledgements: [Acknowledgement]) {
            counts.withLock { counts in
                let text: String
                if json {
                    text = acknowledgements.compactMap { try? JSONOutput.encode($0, pretty: false) + "\n" }.joined()
                } else {
                    text = acknowledgements.compactMap { ack in
                        ack.error.map { "line \(ack.line): error: \($0.message)\n" }
                    }.joined()
                }
                if !text.isEmpty { Self.write(text) }
                counts.imported += acknowledgements.filter { $0.id != nil }.count
                counts.failed += acknowledgements.filter { $0.error != nil }.count
                if !json, counts.imported + counts.failed >= counts.reported + 10_000 {
                    counts.reported = counts.imported + counts.failed
                    FileHandle.standardError.write(
                        Data("… \(counts.imported) imported, \(counts.failed) failed\n".utf8))
                }
            }
        }

        static func write(_ text: String) {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Standard input as chunks of numbered, non-empty lines (raw bytes: invalid UTF-8 fails its line, never repaired): whatever each read returned, read on a thread of its
    /// own so blocking reads never hold up the tasks writing.
    private static func standardInputChunks() -> AsyncStream<[(Int, Data)]> {
        AsyncStream { continuation in
            let thread = Thread {
                var partial: [UInt8] = []
                var number = 0
                func lines(from bytes: ArraySlice<UInt8>, final: Bool) -> [(Int, Data)] {
                    var chunk: [(Int, Data)] = []
                    partial += bytes
                    var start = partial.startIndex
                    while let newline = partial[start...].firstIndex(of: UInt8(ascii: "\n")) {
                        number += 1
                        if newline > start { chunk.append((number, Data(partial[start..<newline]))) }
                        start = newline + 1
                    }
                    partial.removeSubrange(..<start)
                    if final, !partial.isEmpty {
                        number += 1
                        chunk.append((number, Data(partial)))
                        partial = []
                    }
                    return chunk
                }
                // Whatever one read returns, so a slow producer's lines are acknowledged as they come; empty at
                // the end of input.
                while case let data = FileHandle.standardInput.availableData, !data.isEmpty {
                    let chunk = lines(from: ArraySlice(data), final: false)
                    if !chunk.isEmpty { continuation.yield(chunk) }
                }
                let rest = lines(from: [], final: true)
                if !rest.isEmpty { continuation.yield(rest) }
                continuation.finish()
            }
            thread.start()
        }
    }
}
