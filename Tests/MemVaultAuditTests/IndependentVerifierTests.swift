import Foundation
import Testing

/// Audit/verify_audit.py shares no code with MemVault: it must accept the golden log and reject tampered copies.
@Suite("Independent Python verifier")
struct IndependentVerifierTests {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private func run(_ vectors: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["python3", Self.root.appending(path: "Audit/verify_audit.py").path, "--vectors", vectors]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("it verifies the golden log and refuses a changed entry, a changed hash or an altered checkpoint")
    func goldenAndTampered() throws {
        let golden = Self.root.appending(path: "Audit/vectors/golden-log.json").path
        let (status, output) = try run(golden)
        #expect(status == 0, "\(output)")
        #expect(output.contains("all verify"))

        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(filePath: golden))) as! [String: Any]
        let folder = FileManager.default.temporaryDirectory.appending(path: "verifier-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tamperings: [(String, ([String: Any]) -> [String: Any])] = [
            (
                "changed entry",
                { vectors in
                    var vectors = vectors
                    var entries = vectors["entries"] as! [[String: Any]]
                    let encoded = entries[3]["encoded"] as! String
                    entries[3]["encoded"] = encoded.replacingOccurrences(of: "7265616", with: "7265617")
                    vectors["entries"] = entries
                    return vectors
                }
            ),
            (
                "changed hash",
                { vectors in
                    var vectors = vectors
                    var entries = vectors["entries"] as! [[String: Any]]
                    entries[5]["hash"] = String(repeating: "0", count: 64)
                    vectors["entries"] = entries
                    return vectors
                }
            ),
            (
                "altered checkpoint",
                { vectors in
                    var vectors = vectors
                    vectors["checkpoint"] = (vectors["checkpoint"] as! String).replacingOccurrences(
                        of: "\n7\n", with: "\n8\n")
                    return vectors
                }
            ),
        ]
        for (name, tamper) in tamperings {
            let file = folder.appending(path: "\(name).json")
            try JSONSerialization.data(withJSONObject: tamper(original)).write(to: file)
            let (status, output) = try run(file.path)
            #expect(status == 1, "\(name) was accepted: \(output)")
            #expect(output.contains("verification failed"), "\(name): \(output)")
        }
    }
}
