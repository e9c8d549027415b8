import MemVaultCrypto
import MemVaultPolicy
import Synchronization

/// What a decision depends on beyond the request itself, read inside the decision's own unit of work and verified:
/// the subject's consent for the purpose, whether a legal hold applies, and the subject's restrictions of processing.
struct Governance {
    let consent: ConsentState
    let held: Bool
    var restrictions: [ActiveRestriction] = []

    /// The purposes that may still process a memory of `category` (nil: not restricted): what every restriction
    /// covering it allows. A decision with no category is restricted only by restrictions covering every category.
    func restrictedTo(category: String?) -> Set<String>? {
        let covering = restrictions.filter { $0.categories.isEmpty || category.map($0.categories.contains) ?? false }
        guard let first = covering.first else { return nil }
        return covering.dropFirst().reduce(first.purposes) { $0.intersection($1.purposes) }
    }
}

/// An active restriction of processing, as decisions need it.
struct ActiveRestriction: Sendable, Equatable {
    let id: String
    let categories: Set<String>
    let purposes: Set<String>
}

/// The verified legal holds and restrictions as of one hold registry generation.
struct HoldSnapshot: Sendable {
    let generation: UInt64
    let digest: [UInt8]
    let activeTargets: Set<HoldTarget>
    let restrictions: [SubjectID: [ActiveRestriction]]

    static let empty = HoldSnapshot(generation: 0, digest: [], activeTargets: [], restrictions: [:])
}

extension TenantWork {
    /// The subject's consent for this unit's purpose, and whether a hold applies to the subject or the cubes.
    /// Any failure here fails the request: a policy that cannot be evaluated denies.
    func governance(subject: SubjectID?, cubes: [CubeID]) throws -> Governance {
        let targets = cubes.map(HoldTarget.cube) + (subject.map { [HoldTarget.subject($0)] } ?? [])
        let markers = try governanceMarkers()
        return Governance(
            consent: try subject.map { try consentState($0) } ?? .unknown,
            held: targets.contains { markers.activeTargets.contains($0) },
            restrictions: subject.flatMap { markers.restrictions[$0] } ?? [])
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

    /// The active legal holds and restrictions, verified against the tenant's sealed hold registry. Read once per
    /// unit of work; reloaded from storage only when the registry's generation moved.
    func governanceMarkers() throws -> HoldSnapshot {
        if let markers { return markers }
        let (registry, anyHolds) = try transaction.holdRegistry()
        let loaded = try governanceMarkers(registry: registry, anyHolds: anyHolds)
        markers = loaded
        return loaded
    }

    /// The markers for a registry as read (nil: none stored) and whether any hold or restriction row exists.
    private func governanceMarkers(registry stored: HoldRegistryRecord?, anyHolds: Bool) throws -> HoldSnapshot {
        let cached = resources.holds.withLock { $0 }
        guard let registry = stored else {
            // No registry: this tenant never had a hold or restriction. Anything else means it was deleted.
            let everHeld = resources.entry.withLock { $0.hasHolds } || (cached?.generation ?? 0) > 0
            guard !everHeld, !anyHolds else {
                throw MemVaultError(.integrity, "the legal hold registry is missing; holds are not obeyed")
            }
            return .empty
        }
        try resources.integrity.verify(
            registry.seal, Bindings.holdRegistry(tenant, generation: registry.generation, digest: registry.digest),
            "the legal hold registry")
        if let cached, cached.generation == registry.generation, cached.digest == registry.digest {
            return cached
        }
        if let cached, registry.generation < cached.generation {
            throw MemVaultError(.integrity, "the legal hold registry went back to an older state; not obeyed")
        }
        let (holds, restrictions) = try verifiedMarkers(matching: registry)
        let snapshot = HoldSnapshot(
            generation: registry.generation, digest: registry.digest,
            activeTargets: Set(holds.filter(\.isActive).map(\.target)),
            restrictions: Dictionary(grouping: restrictions.filter(\.isActive), by: \.subject).mapValues {
                $0.map {
                    ActiveRestriction(id: $0.id, categories: Set($0.categories), purposes: Set($0.purposes))
                }
            })
        resources.holds.withLock { $0 = snapshot }
        return snapshot
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
        if markers == nil {
            markers = try governanceMarkers(registry: governed.holdRegistry, anyHolds: governed.anyHolds)
        }
        return record
    }

    /// Every hold and restriction, verified against the registry, with its generation (0 before the first).
    func currentMarkers() throws -> (
        generation: UInt64, holds: [LegalHoldRecord], restrictions: [RestrictionRecord]
    ) {
        // Refuses a missing registry where there should be one.
        _ = try governanceMarkers()
        guard let registry = try transaction.holdRegistry().registry else { return (0, [], []) }
        let (holds, restrictions) = try verifiedMarkers(matching: registry)
        return (registry.generation, holds, restrictions)
    }

    /// Seals a new registry generation over the given holds and restrictions (all of them, as they now stand).
    func saveMarkers(_ generation: UInt64, holds: [LegalHoldRecord], restrictions: [RestrictionRecord]) throws {
        let digest = try Bindings.markerDigest(holds, restrictions)
        try transaction.saveHoldRegistry(
            HoldRegistryRecord(
                generation: generation, digest: digest,
                seal: try resources.integrity.seal(
                    Bindings.holdRegistry(tenant, generation: generation, digest: digest))))
        markers = nil
    }

    /// Every hold and restriction, each checked against its seal and all together against the registry's digest: a
    /// deleted, revived or retargeted one does not match.
    func verifiedMarkers(
        matching registry: HoldRegistryRecord
    ) throws -> (holds: [LegalHoldRecord], restrictions: [RestrictionRecord]) {
        let holds = try transaction.holds(includeCleared: true)
        for hold in holds {
            try resources.integrity.verify(hold.seal, Bindings.hold(tenant, hold), "legal hold \(hold.id)")
        }
        let restrictions = try transaction.restrictions(includeLifted: true)
        for restriction in restrictions {
            try resources.integrity.verify(
                restriction.seal, Bindings.restriction(tenant, restriction), "restriction \(restriction.id)")
        }
        guard try Bindings.markerDigest(holds, restrictions) == registry.digest else {
            throw MemVaultError(
                .integrity,
                "the legal holds and restrictions no longer match their registry (one was deleted or altered); "
                    + "not obeyed")
        }
        return (holds, restrictions)
    }
}
