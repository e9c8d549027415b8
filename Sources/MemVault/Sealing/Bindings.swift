import MemVaultCrypto
import MemVaultPolicy

/// What every sealed or MAC'd record is bound to: the associated data of envelopes and the fields of seals, each a
/// `BindingContext` with its own domain label. A ciphertext or seal moved to another place, or left in place while
/// a clear field beside it is edited, no longer verifies.
enum Bindings {
    /// Where a memory version's payload lives, and every clear field of that version: tenant, subject pseudonym
    /// ("-" for shared cubes), cube, memory, version, whether it is the current version or a superseded one, its
    /// lineage, the clear fields (`MemoryFields`) and the key version.
    static func memory(_ tenant: TenantID, pseudonym: String?, _ record: MemoryRecord, current: Bool) -> [UInt8] {
        var context = BindingContext(domain: "memvault.memory.v2", capacity: 384)
        context.append("tenant", tenant.rawValue)
        context.append("subject", pseudonym ?? "-")
        context.append("cube", record.cube.rawValue)
        context.append("memory", record.id.rawValue)
        context.append("version", integer: Int64(record.version))
        context.append("placement", current ? "current" : "superseded")
        context.append("supersedes", integer: record.supersedes.map(Int64.init))
        let fields = record.fields
        context.append("status", fields.status.rawValue)
        context.append("type", fields.type.rawValue)
        context.append("category", fields.category)
        context.append("source", fields.source.rawValue)
        context.append("content-kind", fields.contentKind.rawValue)
        context.append("content-size", integer: Int64(fields.contentSize))
        context.append("occurred-at", integer: fields.occurredAt)
        context.append("valid-from", integer: fields.validFrom)
        context.append("valid-until", integer: fields.validUntil)
        context.append("created-at", integer: fields.createdAt)
        context.append("updated-at", integer: fields.updatedAt)
        context.append("key-version", integer: Int64(record.keyVersion))
        return context.bytes
    }

    /// A memory version's embedding: its place (tenant, owner, cube, memory, version) and its dimension, so a vector
    /// moved to another memory or left from an older version fails to open.
    static func vector(_ tenant: TenantID, pseudonym: String?, _ record: VectorRecord, dimension: Int) -> [UInt8] {
        var context = BindingContext(domain: "memvault.vector.v1", capacity: 160)
        context.append("tenant", tenant.rawValue)
        context.append("subject", pseudonym ?? "-")
        context.append("cube", record.cube.rawValue)
        context.append("memory", record.memory.rawValue)
        context.append("version", integer: Int64(record.version))
        context.append("dimension", integer: Int64(dimension))
        context.append("key-version", integer: Int64(record.keyVersion))
        return context.bytes
    }

    /// A cube's metadata: its owner (as pseudonym) and every clear field of the cube.
    static func cube(_ tenant: TenantID, pseudonym: String?, _ record: CubeRecord) -> [UInt8] {
        BindingContext(domain: "memvault.cube.v2").with("tenant", tenant.rawValue).with("subject", pseudonym ?? "-")
            .with("cube", record.id.rawValue).with("owner", record.subject?.rawValue ?? "-").with("kind", record.kind)
            .with("default-category", record.defaultCategory).with("schema-version", String(record.schemaVersion))
            .with("created-at", String(record.createdAt)).with("updated-at", String(record.updatedAt))
            .with("key-version", record.keyVersion).bytes
    }

    /// A subject's sealed external id, bound to the subject id, its pseudonym and its creation: a pseudonym swapped
    /// between two subjects fails to open.
    static func subject(_ tenant: TenantID, _ record: SubjectRecord) -> [UInt8] {
        BindingContext(domain: "memvault.subject.v2").with("tenant", tenant.rawValue)
            .with("subject", record.id.rawValue).with("pseudonym", record.pseudonym)
            .with("created-at", String(record.createdAt)).with("key-version", record.keyVersion).bytes
    }

    static func consentEvidence(_ tenant: TenantID, subject: SubjectID, change: String, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.consent.v1").with("tenant", tenant.rawValue)
            .with("subject", subject.rawValue).with("change", change).with("key-version", keyVersion).bytes
    }

    static func holdReason(_ tenant: TenantID, hold: String, keyVersion: UInt32) -> [UInt8] {
        BindingContext(domain: "memvault.hold.v1").with("tenant", tenant.rawValue).with("hold", hold)
            .with("key-version", keyVersion).bytes
    }

    // MARK: - Seals of clear governance state

    static func consentState(_ tenant: TenantID, _ record: ConsentStateRecord) -> BindingContext {
        BindingContext(domain: "memvault.seal.consent-state.v1").with("tenant", tenant.rawValue)
            .with("subject", record.subject.rawValue).with("purpose", record.purpose)
            .with("state", record.state.rawValue).with("changed-at", String(record.changedAt))
            .with("change", record.changeID)
    }

    static func consentChange(_ tenant: TenantID, _ record: ConsentChangeRecord) -> BindingContext {
        BindingContext(domain: "memvault.seal.consent-change.v1").with("tenant", tenant.rawValue)
            .with("change", record.id).with("subject", record.subject.rawValue).with("purpose", record.purpose)
            .with("state", record.state.rawValue).with("changed-at", String(record.changedAt))
            .with("actor", record.actor).with("evidence", record.evidence.map { Hex.encode($0) } ?? "-")
            .with("key-version", record.keyVersion.map(String.init) ?? "-").with("previous", record.previous ?? "-")
    }

    static func hold(_ tenant: TenantID, _ record: LegalHoldRecord) -> BindingContext {
        BindingContext(domain: "memvault.seal.hold.v1").with("tenant", tenant.rawValue).with("hold", record.id)
            .with("target-kind", record.target.kind).with("target", record.target.id)
            .with("reason", Hex.encode(record.reason)).with("key-version", record.keyVersion)
            .with("set-by", record.setBy).with("set-at", String(record.setAt))
            .with("cleared-by", record.clearedBy ?? "-").with("cleared-at", record.clearedAt.map(String.init) ?? "-")
    }

    static func holdRegistry(_ tenant: TenantID, generation: UInt64, digest: [UInt8]) -> BindingContext {
        BindingContext(domain: "memvault.seal.hold-registry.v1").with("tenant", tenant.rawValue)
            .with("generation", String(generation)).with("digest", Hex.encode(digest))
    }

    /// What the hold registry's digest covers: every hold's id, target and whether it is still active.
    static func holdSet(_ holds: [LegalHoldRecord]) -> [UInt8] {
        var context = BindingContext(domain: "memvault.hold-set.v1")
        for hold in holds.sorted(by: { $0.id < $1.id }) {
            context.append(hold.id, "\(hold.target.kind):\(hold.target.id):\(hold.isActive ? "active" : "cleared")")
        }
        return context.bytes
    }

    static func trustedPublisher(_ tenant: TenantID, _ record: TrustedPublisherRecord) -> BindingContext {
        BindingContext(domain: "memvault.seal.trusted-publisher.v1").with("tenant", tenant.rawValue)
            .with("key", record.key).with("name", record.name).with("trusted-by", record.trustedBy)
            .with("trusted-at", String(record.trustedAt)).with("revoked-at", record.revokedAt.map(String.init) ?? "-")
    }

    static func restriction(_ tenant: TenantID, _ record: RestrictionRecord) -> BindingContext {
        BindingContext(domain: "memvault.seal.restriction.v1").with("tenant", tenant.rawValue)
            .with("restriction", record.id).with("subject", record.subject.rawValue)
            .with("categories", record.categories.joined(separator: " "))
            .with("purposes", record.purposes.joined(separator: " ")).with("ground", record.ground)
            .with("request", record.request ?? "-").with("set-by", record.setBy).with("set-at", String(record.setAt))
            .with("lifted-by", record.liftedBy ?? "-").with("lifted-at", record.liftedAt.map(String.init) ?? "-")
    }

    /// What the hold registry's digest covers: every hold's id, target and state, then every restriction's (none
    /// adds nothing, so a registry written before restrictions existed still matches).
    static func markerDigest(_ holds: [LegalHoldRecord], _ restrictions: [RestrictionRecord]) throws -> [UInt8] {
        var bytes = holdSet(holds)
        if !restrictions.isEmpty {
            var context = BindingContext(domain: "memvault.restriction-set.v1")
            for restriction in restrictions.sorted(by: { $0.id < $1.id }) {
                context.append(
                    restriction.id,
                    "\(restriction.subject.rawValue):\(restriction.categories.joined(separator: " ")):"
                        + "\(restriction.purposes.joined(separator: " ")):\(restriction.isActive ? "active" : "lifted")"
                )
            }
            bytes += context.bytes
        }
        return try SHA256.hash(bytes)
    }

    /// An erasure request as stored: every column, the document and receipt by their digests.
    static func erasureRequest(_ tenant: TenantID, _ record: ErasureRequestRecord) throws -> BindingContext {
        BindingContext(domain: "memvault.seal.erasure-request.v1").with("tenant", tenant.rawValue)
            .with("request", record.id).with("subject", record.subject?.rawValue ?? "-")
            .with("state", record.state.rawValue).with("document", Hex.encode(try SHA256.hash(record.document)))
            .with("receipt", try record.receipt.map { Hex.encode(try SHA256.hash($0)) } ?? "-")
    }

    static func credential(installation: String, _ record: CredentialRecord) -> BindingContext {
        BindingContext(domain: "memvault.seal.credential.v1").with("installation", installation)
            .with("credential", record.id).with("tenant", record.tenant?.rawValue ?? "-").with("role", record.role)
            .with("purposes", record.purposes.joined(separator: " ")).with("secret", Hex.encode(record.secretHash))
            .with("created-by", record.createdBy).with("created-at", String(record.createdAt))
            .with("expires-at", record.expiresAt.map(String.init) ?? "-").with("revoked-by", record.revokedBy ?? "-")
            .with("revoked-at", record.revokedAt.map(String.init) ?? "-")
    }

    static func tenantEntry(installation: String, _ record: TenantEntryRecord) -> BindingContext {
        var context = BindingContext(domain: "memvault.seal.tenant-entry.v1").with("installation", installation)
            .with("tenant", record.tenant.rawValue).with("state", record.state.rawValue)
            .with("policy", record.policy).with("created-at", String(record.createdAt))
            .with("has-holds", record.hasHolds ? "yes" : "no").with("checkpoint", record.checkpoint ?? "-")
        // Only set quotas are bound, so an entry sealed before quotas existed still verifies.
        if !record.quotas.isUnlimited { context.append("quotas", record.quotas.canonical) }
        return context
    }
}
