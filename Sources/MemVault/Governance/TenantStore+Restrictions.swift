import Foundation
import MemVaultPolicy

/// Restriction of processing (GDPR Art. 18): requested on its own by the data-protection officer, or set by an
/// erasure request on what an Art. 17(3) exception keeps. Each restriction is sealed and, with the legal holds,
/// matched by the hold registry, so a deleted or altered restriction is caught, never obeyed.
extension TenantStore {
    /// Restricts processing of the subject's memories (in `categories`, or all) to `purposes` (none: storage only).
    public func restrictProcessing(
        of subject: SubjectID, categories: [String]? = nil, purposes: [String] = [], ground: Restriction.Ground
    ) async throws -> Restriction {
        guard ground != .erasureException else {
            throw MemVaultError(
                .invalidArgument, "restrictions on the ground erasure-exception are set by erasure requests only")
        }
        let policy = try engine().policy
        let categories = try policy.declaredCategories(categories ?? [])
        let purposes = try policy.declaredPurposes(purposes)
        let admission = try await admit(.restrictProcessing, subject: subject)
        let record = try await perform(admission, subject: subject) { [self] work in
            _ = try verifiedSubject(subject, in: work.transaction)
            let record = try addRestriction(
                in: work, subject: subject, categories: categories, purposes: purposes, ground: ground.rawValue,
                request: nil)
            work.detail = "restricted \(record.id): \(ground.rawValue)"
            return record
        }
        try await resources.catalog.noteHolds(of: tenant, resources: resources)
        return try restriction(record)
    }

    /// Lifts an active restriction: its memories may be processed again as the policy allows.
    public func liftRestriction(_ id: String) async throws -> Restriction {
        guard SortableIdentifier.isValid(id, prefix: "rst_") else {
            throw MemVaultError(.invalidArgument, "invalid restriction id: expected 'rst_' and 26 base32 characters")
        }
        let record = try await perform(.liftRestriction) { [self] work in
            let markers = try work.currentMarkers()
            guard let existing = markers.restrictions.first(where: { $0.id == id }), existing.isActive else {
                throw MemVaultError(.notFound, "no active restriction '\(id)' in tenant '\(tenant)'")
            }
            let lifted = try liftRestriction(existing, in: work)
            work.subject = existing.subject
            work.detail = "lifted \(id)"
            return lifted
        }
        return try restriction(record)
    }

    /// Lifts `existing` in `work` and moves the registry on.
    @discardableResult
    func liftRestriction(_ existing: RestrictionRecord, in work: TenantWork) throws -> RestrictionRecord {
        let markers = try work.currentMarkers()
        let lifted = try sealed(existing, liftedBy: context.actor, liftedAt: StoredTime(now: work.now))
        guard try work.transaction.updateRestriction(lifted) else {
            throw MemVaultError(.notFound, "no active restriction '\(existing.id)' in tenant '\(tenant)'")
        }
        try work.saveMarkers(
            markers.generation + 1, holds: markers.holds,
            restrictions: markers.restrictions.map { $0.id == existing.id ? lifted : $0 })
        return lifted
    }

    public func restrictions(includeLifted: Bool = false) async throws -> [Restriction] {
        try await perform(.listRestrictions) { [self] work in
            let restrictions = try work.currentMarkers().restrictions.filter { includeLifted || $0.isActive }
            work.returned = UInt64(restrictions.count)
            work.detail = "list"
            return try restrictions.map(restriction)
        }
    }

    /// Stores a new restriction in `work` and moves the registry on.
    func addRestriction(
        in work: TenantWork, subject: SubjectID, categories: [String], purposes: [String], ground: String,
        request: String?
    ) throws -> RestrictionRecord {
        let markers = try work.currentMarkers()
        let unsealed = RestrictionRecord(
            id: try SortableIdentifier.make(prefix: "rst_", at: work.now), subject: subject,
            categories: categories.sorted(), purposes: purposes.sorted(), ground: ground, request: request,
            setBy: context.actor, setAt: StoredTime(now: work.now), liftedBy: nil, liftedAt: nil, seal: [])
        let record = try sealed(unsealed, liftedBy: nil, liftedAt: nil)
        try work.transaction.insertRestriction(record)
        try work.saveMarkers(
            markers.generation + 1, holds: markers.holds, restrictions: markers.restrictions + [record])
        return record
    }

    private func sealed(
        _ record: RestrictionRecord, liftedBy: String?, liftedAt: StoredTime?
    ) throws -> RestrictionRecord {
        func make(_ seal: [UInt8]) -> RestrictionRecord {
            RestrictionRecord(
                id: record.id, subject: record.subject, categories: record.categories, purposes: record.purposes,
                ground: record.ground, request: record.request, setBy: record.setBy, setAt: record.setAt,
                liftedBy: liftedBy, liftedAt: liftedAt, seal: seal)
        }
        return make(try resources.integrity.seal(Bindings.restriction(tenant, make([]))))
    }

    private func restriction(_ record: RestrictionRecord) throws -> Restriction {
        guard let ground = Restriction.Ground(rawValue: record.ground) else {
            throw MemVaultError(.integrity, "restriction \(record.id) names an unknown ground")
        }
        return Restriction(
            id: record.id, subject: record.subject, categories: record.categories, purposes: record.purposes,
            ground: ground, request: record.request, setBy: record.setBy, setAt: record.setAt.date,
            liftedBy: record.liftedBy, liftedAt: record.liftedAt?.date)
    }
}
