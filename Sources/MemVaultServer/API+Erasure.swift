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
            return .created(.init(body: .json(try JSONBridge.convert(request))))
        }
    }

    func listErasureRequests(
        _ input: Operations.ListErasureRequests.Input
    ) async throws -> Operations.ListErasureRequests.Output {
        await answering {
            let store = try await tenantStore(purpose: nil)
            let requests =
                input.query.runnable == true
                ? try await store.erasureRequestsToRun()
                : try await store.erasureRequests(openOnly: input.query.open ?? false)
            return .ok(.init(body: .json(.init(requests: try requests.map { try JSONBridge.convert($0) }))))
        }
    }

    func extendErasure(_ input: Operations.ExtendErasure.Input) async throws -> Operations.ExtendErasure.Output {
        await answering {
            let request = try await tenantStore(purpose: nil).extendErasure(input.path.requestId)
            return .ok(.init(body: .json(try JSONBridge.convert(request))))
        }
    }

    func getErasureRequest(
        _ input: Operations.GetErasureRequest.Input
    ) async throws -> Operations.GetErasureRequest.Output {
        await answering {
            let request = try await tenantStore(purpose: nil).erasureRequest(input.path.requestId)
            return .ok(.init(body: .json(try JSONBridge.convert(request))))
        }
    }

    func runErasure(_ input: Operations.RunErasure.Input) async throws -> Operations.RunErasure.Output {
        await answering {
            let request = try await tenantStore(purpose: input.headers.memVaultPurpose).runErasure(
                input.path.requestId, batch: input.query.batch ?? 500)
            return .ok(.init(body: .json(try JSONBridge.convert(request))))
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
}
