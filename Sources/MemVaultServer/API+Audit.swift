import Foundation
import MemVault
import MemVaultAudit
import OpenAPIRuntime

/// The audit log of the credential: its tenant's, or the installation's for an installation credential. Every
/// read is itself recorded in the log it reads.
extension API {
    func listAuditEntries(_ input: Operations.ListAuditEntries.Input) async throws -> Operations.ListAuditEntries.Output
    {
        await answering {
            let query = input.query
            let filter = AuditFilter(
                from: query.from, until: query.until, action: query.action.map(AuditAction.init(rawValue:)),
                actor: query.actor, cube: try query.cube.map { try CubeID($0) },
                subject: try query.subject.map { try SubjectID($0) })
            let entries =
                switch try await auditScope() {
                case .tenant(let store): try await store.auditLog(filter)
                case .installation(let audit): try await audit.entries(filter)
                }
            return .ok(.init(body: .json(.init(entries: try entries.map { try JSONBridge.convert($0) }))))
        }
    }

    func verifyAudit(_ input: Operations.VerifyAudit.Input) async throws -> Operations.VerifyAudit.Output {
        await answering {
            var checkpoints: [String] = []
            if case .json(let body) = input.body { checkpoints = body.checkpoints ?? [] }
            let verification =
                switch try await auditScope() {
                case .tenant(let store): try await store.verifyAudit(checkpoints: checkpoints)
                case .installation(let audit): try await audit.verify(checkpoints: checkpoints)
                }
            return .ok(.init(body: .json(try JSONBridge.convert(verification))))
        }
    }

    func signAuditCheckpoint(
        _ input: Operations.SignAuditCheckpoint.Input
    ) async throws -> Operations.SignAuditCheckpoint.Output {
        await answering {
            let note =
                switch try await auditScope() {
                case .tenant(let store): try await store.signAuditCheckpoint()
                case .installation(let audit): try await audit.signCheckpoint()
                }
            return .created(.init(body: .json(.init(checkpoint: note))))
        }
    }

    func getAuditVerifierKey(
        _ input: Operations.GetAuditVerifierKey.Input
    ) async throws -> Operations.GetAuditVerifierKey.Output {
        await answering {
            let verifier =
                switch try await auditScope() {
                case .tenant(let store): try await store.auditVerifierKey()
                case .installation(let audit): try await audit.verifierKey()
                }
            return .ok(.init(body: .json(.init(verifierKey: verifier.verifierKey))))
        }
    }

    func getAuditInclusionProof(
        _ input: Operations.GetAuditInclusionProof.Input
    ) async throws -> Operations.GetAuditInclusionProof.Output {
        await answering {
            guard input.path.sequence >= 1 else {
                throw MemVaultError(.invalidArgument, "audit sequences start at 1")
            }
            let sequence = UInt64(input.path.sequence)
            let proof =
                switch try await auditScope() {
                case .tenant(let store): try await store.auditInclusionProof(sequence: sequence)
                case .installation(let audit): try await audit.inclusionProof(sequence: sequence)
                }
            return .ok(.init(body: .json(try JSONBridge.convert(proof))))
        }
    }

    func getAuditConsistencyProof(
        _ input: Operations.GetAuditConsistencyProof.Input
    ) async throws -> Operations.GetAuditConsistencyProof.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let proof =
                switch try await auditScope() {
                case .tenant(let store): try await store.auditConsistencyProof(from: body.checkpoint)
                case .installation(let audit): try await audit.consistencyProof(from: body.checkpoint)
                }
            return .ok(.init(body: .json(try JSONBridge.convert(proof))))
        }
    }

    private enum AuditScope {
        case tenant(TenantStore)
        case installation(InstallationAudit)
    }

    /// The log the credential reads: its tenant's, or the installation's.
    private func auditScope() async throws -> AuditScope {
        let credential = try await authenticated()
        let context = try credential.context(purpose: nil)
        guard let tenant = credential.tenant else { return .installation(store.installationAudit(as: context)) }
        return .tenant(try await store.tenant(tenant, as: context))
    }
}
