public import Foundation

/// A folder only its owner can enter (mode 0700): made if missing, tightened if it existed with a looser mode. For
/// data folders and key folders alike.
public enum PrivateFolder {
    /// `tightenExisting: false` for a folder the operator chose that MemVault does not own (the folder of a key
    /// file given by path, which may be a shared one such as /tmp): made private if MemVault makes it, else left
    /// as it is.
    public static func prepare(_ url: URL, tightenExisting: Bool = true) throws {
        let files = FileManager.default
        do {
            if !files.fileExists(atPath: url.path) {
                try files.createDirectory(
                    at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } else if !tightenExisting {
                return
            }
            try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: url.path)
        } catch {
            throw MemVaultError(.dataFolderUnusable, "cannot prepare folder \(url.path): \(error.localizedDescription)")
        }
    }
}
