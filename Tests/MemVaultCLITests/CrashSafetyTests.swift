import Foundation
import GRDB
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Crash safety")
struct CrashSafetyTests {
    /// Collects the acknowledgement lines a writer process prints, from its own thread, and kills the writer
    /// there as soon as `killAfter` lines are acknowledged (not from a task, which a busy machine may wake late).
    final class AcknowledgementReader: Sendable {
        private let state = Mutex((buffer: Data(), acknowledged: [Int: String](), killed: false))
        private let killAfter: Int
        private let victim = Mutex<pid_t?>(nil)

        init(killAfter: Int) {
            self.killAfter = killAfter
        }

        func watch(_ process: pid_t) {
            victim.withLock { $0 = process }
        }

        func consume(_ data: Data) {
            let kill = state.withLock { state in
                state.buffer.append(data)
                while let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = state.buffer[state.buffer.startIndex..<newline]
                    state.buffer.removeSubrange(state.buffer.startIndex...newline)
                    if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                        let number = object["line"] as? Int, let id = object["id"] as? String
                    {
                        state.acknowledged[number] = id
                    }
                }
                guard !state.killed, state.acknowledged.count >= killAfter else { return false }
                state.killed = true
                return true
            }
            if kill, let process = victim.withLock({ $0 }) { Glibc.kill(process, SIGKILL) }
        }

        var acknowledged: [Int: String] { state.withLock { $0.acknowledged } }
    }

    @Test("every acknowledged write survives SIGKILL of the writer mid-stream", arguments: [150, 700])
    func killedWriter(killAfter: Int) async throws {
        let folder = try TemporaryFolder()
        let cli = CommandRunner(dataFolder: folder.appending("data"))
        try cli.run(["init"])
        try cli.run(["tenant", "create", "acme"])
        let cube = try cli.run(["cube", "create", "--tenant", "acme", "--shared", "--name", "stream", "--json"])
            .string("id")

        let writer = try cli.process(["memory", "import", "--tenant", "acme", "--cube", cube, "--json"])
        let input = Pipe()
        let output = Pipe()
        writer.standardInput = input
        writer.standardOutput = output
        writer.standardError = FileHandle.nullDevice
        let reader = AcknowledgementReader(killAfter: killAfter)
        output.fileHandleForReading.readabilityHandler = { handle in reader.consume(handle.availableData) }
        try writer.run()
        reader.watch(writer.processIdentifier)

        // Feed lines until the writer is killed; writes to the dead pipe then fail and stop the feeder.
        let feeder = Thread {
            for number in 1...1_000_000 {
                let line = Data("{\"text\": \"payload of line \(number)\", \"tags\": [\"t\(number)\"]}\n".utf8)
                do { try input.fileHandleForWriting.write(contentsOf: line) } catch { return }
            }
        }
        signal(SIGPIPE, SIG_IGN)
        feeder.start()
        let deadline = Date.now.addingTimeInterval(60)
        while writer.isRunning && Date.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        reader.consume(output.fileHandleForReading.readDataToEndOfFile())
        #expect(writer.terminationReason == .uncaughtSignal)
        let acknowledged = reader.acknowledged
        #expect(acknowledged.count >= killAfter, "only \(acknowledged.count) acknowledgements before the deadline")

        // Integrity first, on the raw file, as left by the crash.
        let database = try DatabaseQueue(path: folder.appending("data/tenants/acme.sqlite"))
        let integrity = try await database.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
        #expect(integrity == ["ok"])
        try database.close()

        // Every acknowledged memory is present and decrypts to what was sent for its line.
        var found: [String: (text: String, tags: [String])] = [:]
        var cursor: String?
        repeat {
            let page = try cli.run(
                ["memory", "list", "--tenant", "acme", "--cube", cube, "--limit", "1000", "--json"]
                    + (cursor.map { ["--after", $0] } ?? []))
            #expect(page.status == 0, "\(page.standardError)")
            let json = try page.json()
            for item in json["items"] as? [[String: Any]] ?? [] {
                let text = (item["content"] as? [String: Any])?["text"] as? String ?? ""
                found[item["id"] as? String ?? ""] = (text, item["tags"] as? [String] ?? [])
            }
            cursor = json["nextCursor"] as? String
        } while cursor != nil
        var missing = 0
        var wrong = 0
        for (number, id) in acknowledged {
            guard let memory = found[id] else {
                missing += 1
                continue
            }
            if memory.text != "payload of line \(number)" || memory.tags != ["t\(number)"] { wrong += 1 }
        }
        #expect(missing == 0 && wrong == 0, "\(missing) missing, \(wrong) wrong of \(acknowledged.count)")
        // Writes may have committed without being acknowledged before the kill, never the other way round.
        #expect(found.count >= acknowledged.count)
    }
}
