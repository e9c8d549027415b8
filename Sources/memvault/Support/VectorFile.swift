import ArgumentParser
import Foundation

/// An embedding given on the command line: a file (or `-` for standard input) holding a JSON array of numbers.
enum VectorFile {
    static func read(_ path: String, option: String) throws -> [Float] {
        let data: Data
        do {
            data =
                path == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(filePath: path))
        } catch {
            throw ValidationError("\(option): cannot read \(path)")
        }
        guard let numbers = try? JSONDecoder().decode([Double].self, from: data) else {
            throw ValidationError("\(option): \(path) is not a JSON array of numbers")
        }
        return numbers.map(Float.init)
    }
}
