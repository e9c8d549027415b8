public import Foundation
import MemVault

/// The on-disk layout of one embedded MemVault installation.
///
/// ```
/// DATA/                   mode 0700, every file in it 0600
///   keys/keystore.sqlite  wrapped tenant and data keys: back up apart from the data files
///   catalog.sqlite        the tenants (sealed entries) and the installation's audit log
///   tenants/T.sqlite      one database per tenant: sealed content and the fields kept in clear
/// ```
/// The master key is not in the folder (see `MasterKeyLocation`): a copy or backup of the folder does not decrypt
/// itself. Data files and key material are in separate files, so a copy of the data files alone carries no key.
public struct DataFolder: Sendable {
    public let url: URL

    public var path: String { url.path }
    public var keysFolder: URL { url.appending(path: "keys") }
    public var keyStore: URL { keysFolder.appending(path: "keystore.sqlite") }
    public var tenantsFolder: URL { url.appending(path: "tenants") }
    public var catalog: URL { url.appending(path: "catalog.sqlite") }
    /// Where earlier versions kept the master key; refused now (`Installation.open` says how to move it).
    public var legacyKeyFile: URL { url.appending(path: "master.key") }

    init(url: URL) {
        self.url = url.standardizedFileURL
    }

    /// Creates the folder tree (owner-only permissions). Refuses a folder that already holds a key store.
    public static func create(at path: String) throws -> DataFolder {
        let folder = DataFolder(url: URL(filePath: path, directoryHint: .isDirectory))
        if FileManager.default.fileExists(atPath: folder.keyStore.path) {
            throw MemVaultError(
                .alreadyInitialised, "\(folder.path) is already a MemVault data folder; nothing was changed")
        }
        for directory in [folder.url, folder.keysFolder, folder.tenantsFolder] {
            try FilePermissions.prepareFolder(directory)
        }
        return folder
    }

    /// Opens an initialised folder, with a clear error for a missing, uninitialised or inaccessible one, and
    /// tightens its permissions to owner-only if they were looser.
    public static func open(at path: String) throws -> DataFolder {
        let folder = DataFolder(url: URL(filePath: path, directoryHint: .isDirectory))
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw MemVaultError(
                .dataFolderMissing, "data folder \(folder.path) does not exist: run `memvault init --data \(path)`")
        }
        guard isDirectory.boolValue else {
            throw MemVaultError(.dataFolderUnusable, "\(folder.path) is not a folder")
        }
        guard files.isReadableFile(atPath: folder.path), files.isWritableFile(atPath: folder.path),
            files.isExecutableFile(atPath: folder.path)
        else {
            throw MemVaultError(
                .dataFolderUnusable, "data folder \(folder.path) is not readable and writable by this user")
        }
        guard files.fileExists(atPath: folder.keyStore.path) else {
            throw MemVaultError(
                .dataFolderMissing,
                "\(folder.path) is not an initialised MemVault data folder (no key store): "
                    + "run `memvault init --data \(path)`")
        }
        guard files.isReadableFile(atPath: folder.keyStore.path), files.isWritableFile(atPath: folder.keyStore.path)
        else {
            throw MemVaultError(.dataFolderUnusable, "key store \(folder.keyStore.path) is not readable and writable")
        }
        for directory in [folder.url, folder.keysFolder, folder.tenantsFolder] {
            try FilePermissions.prepareFolder(directory)
        }
        return folder
    }
}
