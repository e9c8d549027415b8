import Foundation
import HTTPTypes
import MemVault
import OpenAPIRuntime

/// Moving cubes across the tenant's boundary: public keys, sealed bundles out and in, and the subject's access
/// export (docs/portability.md). Decided and recorded by the library as on the command line.
extension API {
    func getPortabilityKeys(_ input: Operations.GetPortabilityKeys.Input) async throws
        -> Operations.GetPortabilityKeys.Output
    {
        await answering {
            .ok(.init(body: .json(try JSONBridge.convert(try await tenantStore(purpose: nil).portabilityKeys()))))
        }
    }

    func exportBundle(_ input: Operations.ExportBundle.Input) async throws -> Operations.ExportBundle.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let bundle = try await tenantStore(purpose: input.headers.memVaultPurpose).exportBundle(
                try CubeID(input.path.cubeId), to: body.recipient)
            return .ok(
                .init(
                    headers: .init(memVaultContentHash: bundle.manifest.contentHash),
                    body: .binary(HTTPBody(bundle.bytes))))
        }
    }

    func importBundle(_ input: Operations.ImportBundle.Input) async throws -> Operations.ImportBundle.Output {
        await answering {
            guard case .binary(let body) = input.body else { throw Problems.unsupportedBody }
            // The middleware has bounded the body already; this bound only makes the collection explicit.
            let bytes = try await [UInt8](collecting: body, upTo: store.limits.maximumBundleBytes)
            let senders = input.query.trustedSender.map { Set($0.map { $0.lowercased() }) }
            let imported = try await tenantStore(purpose: input.headers.memVaultPurpose).importBundle(
                bytes, trustedSenders: senders?.isEmpty == true ? nil : senders)
            return .created(.init(body: .json(.init(imported: [try JSONBridge.convert(imported)]))))
        }
    }

    func exportSubject(_ input: Operations.ExportSubject.Input) async throws -> Operations.ExportSubject.Output {
        await answering {
            let export = try await tenantStore(purpose: input.headers.memVaultPurpose).exportSubject(
                try SubjectID(input.path.subjectId))
            return .ok(.init(body: .json(try JSONBridge.convert(export))))
        }
    }
}
