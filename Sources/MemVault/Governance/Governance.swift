import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// What a decision depends on beyond the request itself, read inside the decision's own unit of work and verified:
/// the subject's consent for the purpose, and whether a legal hold applies.
struct Governance {
    let consent: ConsentState
    let held: Bool
}

/// The verified set of legal holds as of one hold registry generation.
struct HoldSnapshot: Sendable {
    let generation: UInt64
    let digest: [UInt8]
    let activeTargets: Set<HoldTarget>
}

extension TenantWork {
    /// The subject's consent for this unit's purpose, and whether a hold applies to the subject or the cubes.
    /// Any failure here fails the request: a policy that cannot be evaluated denies.
    func governance(subject: SubjectID?, cubes: [CubeID]) throws -> Governance {
        let targets = cubes.map(HoldTarget.cube) + (subject.map { [HoldTarget.subject($0)] } ?? [])
        let held = try activeHoldTargets()
        return Governance(
            consent: try subject.map { try consentState($0) } ?? .unknown,
            held: targets.contains { held.contains($0) })
    }

    func governance(for record: MemoryRecord) throws -> Governance {
        try governance(subject: record.subject, cubes: [record.cube])
    }

    /// The subject's current consent state for this unit's purpose, checked against its seal and its history.
    func consentState(_ subject: SubjectID) throws -> ConsentState {
        if let known = consentStates[subject] { return known }
        let state = try verifiedConsentState(subject: subject, purpose: purpose)
        consentStates[subject] = state
        return state
    }

    func verifiedConsentState(subject: SubjectID, purpose: String) throws -> ConsentState {
        try verifiedConsentState(try transaction.consent(subject: subject, purpose: purpose), purpose: purpose)
    }

    /// A consent lookup's state, checked against its seal and its history.
    func verifiedConsentState(_ lookup: ConsentLookup, purpose: String) throws -> ConsentState {
        guard let current = lookup.current else {
            // A history without a current state means the current state was deleted.
            guard lookup.latestChange == nil else {
                throw MemVaultError(
                    .integrity, "a consent record is missing while its history holds changes; not obeyed")
            }
            return .unknown
        }
        try resources.integrity.verify(
            current.seal, Bindings.consentState(tenant, current), "a consent record for purpose '\(purpose)'")
        guard current.changeID == lookup.latestChange else {
            throw MemVaultError(
                .integrity,
                "a consent record for purpose '\(purpose)' is not the newest change in its history; not obeyed")
        }
        return current.state
    }

    /// Every target under an active legal hold, verified against the tenant's sealed hold registry. Read once per
    /// unit of work; reloaded from storage only when the registry's generation moved.
    func activeHoldTargets() throws -> Set<HoldTarget> {
        if let heldTargets { return heldTargets }
        let targets = try loadActiveHoldTargets()
        heldTargets = targets
        return targets
    }

    private func loadActiveHoldTargets() throws -> Set<HoldTarget> {
        let (registry, anyHolds) = try transaction.holdRegistry()
        return try activeHoldTargets(registry: registry, anyHolds: anyHolds)
    }

    /// The active hold targets for a registry as read (nil: none stored) and whether any hold row exists.
    private func activeHoldTargets(registry stored: HoldRegistryRecord?, anyHolds: Bool) throws -> Set<HoldTarget> {
        let cached = resources.holds.withLock { $0 }
        guard let registry = stored else {
            // No registry: this tenant never had a hold. Anything else means the registry was deleted.
            let everHeld = resources.entry.withLock { $0.hasHolds } || (cached?.generation ?? 0) > 0
            guard !everHeld, !anyHolds else {
                throw MemVaultError(.integrity, "the legal hold registry is missing; holds are not obeyed")
            }
            return []
        }
        try resources.integrity.verify(
            registry.seal, Bindings.holdRegistry(tenant, generation: registry.generation, digest: registry.digest),
            "the legal hold registry")
        if let cached, cached.generation == registry.generation, cached.digest == registry.digest {
            return cached.activeTargets
        }
        if let cached, registry.generation < cached.generation {
            throw MemVaultError(.integrity, "the legal hold registry went back to an older state; not obeyed")
        }
        let holds = try verifiedHolds(matching: registry)
        let snapshot = HoldSnapshot(
            generation: registry.generation, digest: registry.digest,
            activeTargets: Set(holds.filter(\.isActive).map(\.target)))
        resources.holds.withLock { $0 = snapshot }
        return snapshot.activeTargets
    }

    /// A memory read together with its governance: the current version, checked against a rolled-back row, with
    /// the consent and holds its decision needs taken from the same read.
    func prime(_ governed: GovernedMemory) throws -> MemoryRecord {
        let record = governed.current
        if let superseded = governed.latestSuperseded, superseded >= record.version {
            throw store.rolledBack(record.id, version: record.version, superseded: superseded)
        }
        if let subject = record.subject, consentStates[subject] == nil {
            consentStates[subject] = try verifiedConsentState(governed.consent, purpose: purpose)
        }
        if heldTargets == nil {
            heldTargets = try activeHoldTargets(registry: governed.holdRegistry, anyHolds: governed.anyHolds)
        }
        return record
    }

    /// Every hold, each checked against its seal and all together against the registry's digest: a deleted,
    /// revived or retargeted hold does not match.
    func verifiedHolds(matching registry: HoldRegistryRecord) throws -> [LegalHoldRecord] {
        let holds = try transaction.holds(includeCleared: true)
        for hold in holds {
            try resources.integrity.verify(hold.seal, Bindings.hold(tenant, hold), "legal hold \(hold.id)")
        }
        guard try SHA256.hash(Bindings.holdSet(holds)) == registry.digest else {
            throw MemVaultError(
                .integrity, "the legal holds no longer match their registry (one was deleted or altered); not obeyed")
        }
        return holds
    }
}
