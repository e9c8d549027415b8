import MemVault
import MemVaultInterop

/// What the command line asks of a tenant to move cubes across its boundary (bundles, other platforms' formats,
/// the subject's export, modules), answered by a local store and by a running server alike. The requirements are
/// `TenantStore`'s own signatures.
protocol PortabilityOperations: Sendable {
    func portabilityKeys() async throws -> PortabilityKeys

    // MARK: Out
    func exportBundle(_ cube: CubeID, to recipient: String) async throws -> ExportedBundle
    func exportMemOSDump(_ cube: CubeID) async throws -> MemOSExport
    func exportSubject(_ subject: SubjectID) async throws -> SubjectExport

    // MARK: In
    func importBundle(_ bytes: [UInt8], trustedSenders: Set<String>?) async throws -> ImportedCube
    func importMemOSDump(
        config: MemVaultInterop.JSONValue?, textual: MemVaultInterop.JSONValue, category: String, subject: String?
    ) async throws -> ForeignImport
    func importMem0Export(
        memories: MemVaultInterop.JSONValue, history: MemVaultInterop.JSONValue?, category: String, subject: String?
    ) async throws -> ForeignImport

    // MARK: Modules
    func packModule(_ cube: CubeID, name: String, version: String, license: String) async throws -> ExportedBundle
    func signModule(_ bytes: [UInt8]) async throws -> ExportedBundle
    func trustPublisher(key: String, name: String, revoke: Bool) async throws -> TrustedPublisher
    func installModule(_ bytes: [UInt8]) async throws -> ImportedCube
    func upgradeModule(_ bytes: [UInt8]) async throws -> ImportedCube
    func uninstallModule(_ name: String) async throws -> MemCube
    func modules() async throws -> [MemCube]
    func trustedPublishers() async throws -> [TrustedPublisher]
}

extension TenantStore: PortabilityOperations {}
