/// Where a sealed memory belongs: the associated data of every content envelope.
///
/// The subject appears only as its keyed pseudonym (never the external id), and the tenant-shared cubes have none.
/// The key version is bound as well as carried in the envelope header, so re-labelling an envelope's version fails.
public struct CiphertextBinding: Sendable, Equatable {
    public let tenant: TenantID
    public let subjectPseudonym: String?
    public let cube: String
    public let memory: String
    /// Which field of the memory this is (content, metadata, embedding, …): one memory, several envelopes.
    public let field: String
    public let keyVersion: UInt32

    public init(
        tenant: TenantID, subjectPseudonym: String?, cube: String, memory: String, field: String, keyVersion: UInt32
    ) {
        self.tenant = tenant
        self.subjectPseudonym = subjectPseudonym
        self.cube = cube
        self.memory = memory
        self.field = field
        self.keyVersion = keyVersion
    }

    /// The canonical associated-data bytes.
    public var associatedData: [UInt8] {
        var context = BindingContext(domain: "memvault.content.v1", capacity: 256)
        context.append("tenant", tenant.rawValue)
        context.append("subject", subjectPseudonym ?? "-")
        context.append("cube", cube)
        context.append("memory", memory)
        context.append("field", field)
        context.append("key-version", String(keyVersion))
        return context.bytes
    }
}
