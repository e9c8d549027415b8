import ArgumentParser
import Foundation

/// Files the command line writes for the user (bundles, dumps): readable by the owner only, written to a temporary
/// name and moved into place, so a crash never leaves half a file under the final name, and never over an existing
/// one.
enum PrivateFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial-\(UUID().uuidString.prefix(8))"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { throw ValidationError("cannot write \(path)") }
        do {
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ValidationError("cannot write \(path): it exists, or its folder does not")
        }
    }

    /// A new folder holding `files`, made beside its final name and moved into place whole.
    static func writeFolder(_ files: [String: [UInt8]], to path: String) throws {
        let temporary = path + ".partial-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: temporary, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            for (name, bytes) in files {
                guard
                    FileManager.default.createFile(
                        atPath: temporary + "/" + name, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
                else { throw ValidationError("cannot write \(name) in \(path)") }
            }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    static func read(_ path: String, maximumBytes: Int) throws -> [UInt8] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ValidationError("\(path) does not exist")
        }
        let size = attributes[.size] as? Int ?? 0
        guard size <= maximumBytes else {
            throw ValidationError("\(path) is \(size) bytes; at most \(maximumBytes) are read")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return Array(data)
    }
}
