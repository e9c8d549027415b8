import Foundation
import MemVault
import OpenAPIRuntime

/// Liveness, readiness, metrics and the caller's own credential.
extension API {
    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        let unavailable = { (detail: String) -> Operations.GetReadiness.Output in
            .serviceUnavailable(
                .init(
                    body: .applicationProblemJson(
                        .init(
                            _type: "https://memvault.dev/problems/unavailable", title: "Unavailable", status: 503,
                            detail: detail, code: "unavailable"))))
        }
        guard readiness.isReady else { return unavailable("the server is starting or shutting down") }
        guard let tenants = try? await store.activeTenants().count else {
            return unavailable("the store does not answer")
        }
        return .ok(.init(body: .json(.init(status: .ready, tenants: tenants))))
    }

    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        .ok(.init(body: .plainText(HTTPBody(metrics?.exposition() ?? ""))))
    }

    func getWhoAmI(_ input: Operations.GetWhoAmI.Input) async throws -> Operations.GetWhoAmI.Output {
        await answering {
            .ok(.init(body: .json(try JSONBridge.convert(try await authenticated()))))
        }
    }
}
