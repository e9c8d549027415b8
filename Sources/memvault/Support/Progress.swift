import Foundation

/// Progress of long work, on standard error: one line per step, so standard output stays the result.
enum Progress {
    static func report(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}
