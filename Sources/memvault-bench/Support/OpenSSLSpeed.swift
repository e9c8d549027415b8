import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `openssl speed -evp CIPHER` as a baseline and parses its machine-readable output.
enum OpenSSLSpeed {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Throughput in MB/s (10^6 bytes per second) for messages of `byteCount` bytes.
    static func throughput(cipher: String, byteCount: Int, decrypt: Bool, seconds: Int) throws -> Double {
        let arguments =
            ["openssl", "speed", "-evp", cipher, "-bytes", String(byteCount), "-seconds", String(seconds), "-mr"]
            + (decrypt ? ["-decrypt"] : [])
        let output = try runWithDefaultSignals(arguments)
        // The line "+F:<n>:<CIPHER>:<bytes per second>" carries the figure.
        for line in output.split(separator: "\n") where line.hasPrefix("+F:") {
            if let bytesPerSecond = line.split(separator: ":").last.flatMap({ Double($0) }) {
                return bytesPerSecond / 1_000_000
            }
        }
        throw Unavailable(description: "openssl speed printed no +F line")
    }

    /// `openssl speed` stops on SIGALRM, and a child inherits its spawning thread's signal mask. Dispatch and
    /// Swift concurrency worker threads block all signals, so the child is spawned from a thread of its own with
    /// an empty mask; otherwise it would never stop.
    private static func runWithDefaultSignals(_ arguments: [String]) throws -> String {
        let result = Mutex<Result<String, any Error>?>(nil)
        let thread = Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            let process = Process()
            process.executableURL = URL(filePath: "/usr/bin/env")
            process.arguments = arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                result.withLock { $0 = .success(String(decoding: data, as: UTF8.self)) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
        }
        thread.start()
        while result.withLock({ $0 == nil }) { usleep(10_000) }
        return try result.withLock { $0! }.get()
    }
}
