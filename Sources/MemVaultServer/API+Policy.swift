import Foundation
import MemVault
import MemVaultPolicy
import OpenAPIRuntime

/// The tenant's policy: its records of processing (Art. 30) and the decision it takes for a described request.
/// Neither touches personal data, so neither is audited.
extension API {
    func getProcessingRecords(
        _ input: Operations.GetProcessingRecords.Input
    ) async throws -> Operations.GetProcessingRecords.Output {
        await answering {
            let engine = try await tenantStore(purpose: nil).policyEngine()
            return .ok(.init(body: .json(try JSONBridge.convert(ProcessingRecords(engine)))))
        }
    }

    func explainPolicy(_ input: Operations.ExplainPolicy.Input) async throws -> Operations.ExplainPolicy.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let credential = try await authenticated()
            let engine = try await tenantStore(purpose: nil).policyEngine()
            let decision = engine.decide(
                AccessRequest(
                    action: try Self.libraryValue(body.action),
                    role: try body.role.map { try Self.libraryValue($0) } ?? credential.role, purpose: body.purpose,
                    category: body.category, consent: try body.consent.map { try Self.libraryValue($0) } ?? .unknown,
                    legalHold: body.legalHold ?? false, memoryType: body.memoryType, source: body.source,
                    storedAt: body.storedAt))
            return .ok(.init(body: .json(try JSONBridge.convert(decision))))
        }
    }
}
