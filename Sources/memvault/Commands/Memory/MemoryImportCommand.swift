import ArgumentParser
import Foundation
import MemVault

struct MemoryImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add memories from JSON lines on standard input, acknowledging each once it is durable.",
        discussion: """
            Each input line is one memory: {"text": "…"} or {"base64": "…", "mediaType": "…"}, with optional \
            type, category, tags, source, sourceDetail, confidence, occurredAt, validFrom, validUntil, attributes.
            Each output line acknowledges one input line after its write has committed: {"line": N, "id": "mem_…"} \
            or {"line": N, "error": {…}}; a last line sums up. Writes run concurrently and share commits.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "The tenant.") var tenant: String
    @Option(help: "The cube (cube_…).") var cube: String
    @Option(help: "Writes in flight at once.") var concurrency = 16

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
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency takes 1 to 256") }
    }

    func run() async throws {
        let summary: Summary
        do {
            let cube = try CubeID(cube)
            summary = try await options.withTenant(tenant) { store in try await importLines(into: store, cube: cube) }
        } catch {
            try options.fail(error)
        }
        Self.write(try JSONOutput.encode(summary, pretty: false))
        if summary.failed > 0 { throw ExitCode.failure }
    }

    private func importLines(into store: TenantStore, cube: CubeID) async throws -> Summary {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var inFlight = 0
            var imported = 0
            var failed = 0
            var number = 0
            for await text in Self.standardInputLines() {
                number += 1
                if inFlight == concurrency, let ok = try await group.next() {
                    inFlight -= 1
                    if ok { imported += 1 } else { failed += 1 }
                }
                let line = number
                group.addTask {
                    var acknowledgement = Acknowledgement(line: line)
                    do {
                        let memory = try JSONDecoder().decode(Line.self, from: Data(text.utf8)).memory()
                        acknowledgement.id = try await store.addMemory(memory, to: cube).id
                    } catch let error as MemVaultError {
                        acknowledgement.error = .init(code: error.code.name, message: error.message)
                    } catch let error as ValidationError {
                        acknowledgement.error = .init(code: "invalid_argument", message: error.message)
                    } catch is DecodingError {
                        // The decoder's message may quote the input, which may be personal data: say only where.
                        acknowledgement.error = .init(
                            code: "invalid_argument", message: "line \(line) is not a valid memory object")
                    }
                    Self.write(try JSONOutput.encode(acknowledgement, pretty: false))
                    return acknowledgement.id != nil
                }
                inFlight += 1
            }
            for try await ok in group {
                if ok { imported += 1 } else { failed += 1 }
            }
            return Summary(imported: imported, failed: failed)
        }
    }

    /// One unbuffered write per line: a line is on its way out before the next write starts, and lines from
    /// concurrent tasks never interleave (each is far below the pipe's atomic-write size).
    private static func write(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Lines of standard input, read on a thread of their own so blocking reads never hold up the tasks writing.
    private static func standardInputLines() -> AsyncStream<String> {
        AsyncStream { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) {
                    if !line.isEmpty { continuation.yield(line) }
                }
                continuation.finish()
            }
            thread.start()
        }
    }
}
