import Foundation

/// Every byte of every file under `root`, by path: what an attacker who copies the folder gets.
package func filesUnder(_ root: String) throws -> [String: [UInt8]] {
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
    package func contains(subsequence: [UInt8]) -> Bool {
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
