import Foundation
import MemVault
import OpenAPIRuntime

/// Erasure requests over HTTP: filed, run, followed and proven by the data-protection officer's credential.
extension API {
    func requestErasure(_ input: Operations.RequestErasure.Input) async throws -> Operations.RequestErasure.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let store = try await tenantStore(purpose: input.headers.memVaultPurpose)
            let subject: SubjectID
            switch (body.subject, body.externalId) {
            case (let id?, nil): subject = try SubjectID(id)
            case (nil, let externalID?):
                subject = try await store.resolveSubject(externalID: externalID, create: false).id
            default: throw MemVaultError(.invalidArgument, "give exactly one of 'subject' or 'externalId'")
            }
            let request = try await store.requestErasure(
                of: subject, categories: body.categories,
                requester: body.requester.flatMap { ErasureRequest.Requester(rawValue: $0.rawValue) } ?? .dataSubject,
                ground: ErasureRequest.Ground(rawValue: body.ground.rawValue) ?? .objection)
            return .created(.init(body: .json(Self.erasure(request))))
        }
    }

    func listErasureRequests(
        _ input: Operations.ListErasureRequests.Input
    ) async throws -> Operations.ListErasureRequests.Output {
        await answering {
            let requests = try await tenantStore(purpose: nil).erasureRequests(openOnly: input.query.open ?? false)
            return .ok(.init(body: .json(.init(requests: requests.map(Self.erasure)))))
        }
    }

    func extendErasure(_ input: Operations.ExtendErasure.Input) async throws -> Operations.ExtendErasure.Output {
        await answering {
            let request = try await tenantStore(purpose: nil).extendErasure(input.path.requestId)
            return .ok(.init(body: .json(Self.erasure(request))))
        }
    }

    func getErasureRequest(
        _ input: Operations.GetErasureRequest.Input
    ) async throws -> Operations.GetErasureRequest.Output {
        await answering {
            let request = try await tenantStore(purpose: nil).erasureRequest(input.path.requestId)
            return .ok(.init(body: .json(Self.erasure(request))))
        }
    }

    func runErasure(_ input: Operations.RunErasure.Input) async throws -> Operations.RunErasure.Output {
        await answering {
            let request = try await tenantStore(purpose: input.headers.memVaultPurpose).runErasure(
                input.path.requestId)
            return .ok(.init(body: .json(Self.erasure(request))))
        }
    }

    func getErasureReceipt(
        _ input: Operations.GetErasureReceipt.Input
    ) async throws -> Operations.GetErasureReceipt.Output {
        await answering {
            let receipt = try await tenantStore(purpose: nil).erasureReceipt(input.path.requestId)
            // The signed document itself, as JSON: a verifier serialises it canonically again (docs/erasure.md).
            let document = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(try receipt.document()))
            return .ok(.init(body: .json(.init(additionalProperties: document))))
        }
    }

    static func erasure(_ request: ErasureRequest) -> Components.Schemas.ErasureRequest {
        .init(
            id: request.id, subject: request.subject,
            state: .init(rawValue: request.state.rawValue) ?? .received, step: request.step.rawValue,
            categories: request.categories, ground: request.ground.rawValue, requester: request.requester.rawValue,
            rejection: request.rejection?.rawValue, holds: request.holds, receivedAt: request.receivedAt,
            dueAt: request.dueAt, completedAt: request.completedAt,
            erased: .init(additionalProperties: request.erased),
            retained: request.retained.map {
                .init(
                    category: $0.category, count: $0.count, basis: $0.basis, article: $0.article, until: $0.until,
                    purposes: $0.purposes)
            }, cubes: request.cubes, consentRecords: request.consentRecords, keysDestroyed: request.keysDestroyed)
    }
}
