import Synchronization

/// Cached lookups of subjects and cubes, and not-found errors.
extension TenantStore {
    func subjectRecord(_ id: SubjectID) async throws -> SubjectRecord {
        guard let record = try await storage.subject(id: id) else {
            throw MemVaultError(.notFound, "subject \(id) does not exist in tenant '\(tenant)'")
        }
        return record
    }

    func pseudonym(of subject: SubjectID?) async throws -> String? {
        guard let subject else { return nil }
        if let cached = resources.subjectPseudonyms.withLock({ $0[subject] }) { return cached }
        let pseudonym = try await subjectRecord(subject).pseudonym
        resources.subjectPseudonyms.withLock { $0[subject] = pseudonym }
        return pseudonym
    }

    func cubeContext(_ id: CubeID) async throws -> CubeContext {
        if let cached = resources.cubeContexts.withLock({ $0[id] }) { return cached }
        guard let record = try await storage.cube(id) else { throw notFound(cube: id) }
        return try await context(for: record)
    }

    func context(for record: CubeRecord) async throws -> CubeContext {
        let context = CubeContext(record: record, pseudonym: try await pseudonym(of: record.subject))
        resources.cubeContexts.withLock { $0[record.id] = context }
        return context
    }

    func notFound(memory id: MemoryID) -> MemVaultError {
        MemVaultError(.notFound, "memory \(id) does not exist in tenant '\(tenant)'")
    }

    func notFound(cube id: CubeID) -> MemVaultError {
        MemVaultError(.notFound, "cube \(id) does not exist in tenant '\(tenant)'")
    }
}
