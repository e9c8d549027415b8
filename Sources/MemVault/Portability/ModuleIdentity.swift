/// What makes an installed cube a memory module: its name, version and license, the publisher key that signed it
/// and the hash of its content. Sealed in the cube's metadata, so it cannot be stripped or changed outside
/// MemVault; a cube that carries one is read-only.
public struct ModuleIdentity: Sendable, Equatable, Codable {
    public let name: String
    public let version: String
    public let license: String
    /// The publisher's Ed25519 key (hex).
    public let publisher: String
    public let contentHash: String

    public init(name: String, version: String, license: String, publisher: String, contentHash: String) {
        self.name = name
        self.version = version
        self.license = license
        self.publisher = publisher
        self.contentHash = contentHash
    }
}
