public import Foundation

/// A folder only its owner can enter (mode 0700): made if missing, tightened if it existed with a looser mode. For
/// data folders and key folders alike.
public enum PrivateFolder {
    public static func prepare(_ url: URL) throws {
        let files = FileManager.default
        do {
            if !files.fileExists(atPath: url.path) {
                try files.createDirectory(
                    at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
        } catch {
            throw MemVaultError(.dataFolderUnusable, "cannot prepare folder \(url.path): \(error.localizedDescription)")
        }
    }
}
