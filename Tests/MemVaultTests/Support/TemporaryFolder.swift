import Foundation

/// A fresh folder under the system temporary directory, removed when the value is released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "memvault-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    func appending(_ component: String) -> String { url.appending(path: component).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Every byte of every file under `root`, by path: what an attacker who copies the folder gets.
func filesUnder(_ root: String) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)
    while let relative = enumerator?.nextObject() as? String {
        let path = root + "/" + relative
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            result[relative] = Array(try Data(contentsOf: URL(filePath: path)))
        }
    }
    return result
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return subsequence.isEmpty }
        let first = subsequence[0]
        var index = 0
        while index <= count - subsequence.count {
            if self[index] == first, Array(self[index..<(index + subsequence.count)]) == subsequence { return true }
            index += 1
        }
        return false
    }
}
