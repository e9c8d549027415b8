import Foundation

/// Runs a Python baseline script that writes its figures as a JSON object to a file, and reads them back.
enum PythonBaseline {

    /// `python3 script arguments…`, its output file read as a JSON object; fails if it exits non-zero.
    static func run(_ script: String, _ arguments: [String], output: URL) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any]
        else { throw ScenarioFailure("\(URL(filePath: script).lastPathComponent) failed") }
        return object
    }
}
