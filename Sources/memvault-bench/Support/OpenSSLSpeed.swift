import Foundation

/// Runs `openssl speed -evp CIPHER` as a baseline and parses its machine-readable output.
enum OpenSSLSpeed {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Throughput in MB/s (10^6 bytes per second) for messages of `byteCount` bytes.
    static func throughput(cipher: String, byteCount: Int, decrypt: Bool, seconds: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments =
            ["openssl", "speed", "-evp", cipher, "-bytes", String(byteCount), "-seconds", String(seconds), "-mr"]
            + (decrypt ? ["-decrypt"] : [])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // The line "+F:<n>:<CIPHER>:<bytes per second>" carries the figure.
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("+F:") {
            if let bytesPerSecond = line.split(separator: ":").last.flatMap({ Double($0) }) {
                return bytesPerSecond / 1_000_000
            }
        }
        throw Unavailable(description: "openssl speed printed no +F line (exit \(process.terminationStatus))")
    }
}
