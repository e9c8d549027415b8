import Foundation
import HTTPTypes
import MemVault
import MemVaultInterop
import MemVaultPolicy
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

/// Other platforms' formats over HTTP: MemOS dumps in and out, mem0 exports in. The documents travel as JSON values
/// and are read by the same code as the command line's files.
extension API {
    func importMemOSDump(_ input: Operations.ImportMemOSDump.Input) async throws -> Operations.ImportMemOSDump.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let imported = try await tenantStore(purpose: input.headers.memVaultPurpose).importMemOSDump(
                config: try body.config.map { try JSONBridge.convert($0) },
                textual: try JSONBridge.convert(body.textualMemory), category: body.category ?? "general",
                subject: body.externalId)
            return .created(.init(body: .json(try JSONBridge.convert(imported))))
        }
    }

    func importMem0Export(_ input: Operations.ImportMem0Export.Input) async throws
        -> Operations.ImportMem0Export.Output
    {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let imported = try await tenantStore(purpose: input.headers.memVaultPurpose).importMem0Export(
                memories: try JSONBridge.convert(body.memories),
                history: try body.history.map { try JSONBridge.convert($0) }, category: body.category ?? "general",
                subject: body.externalId)
            return .created(.init(body: .json(try JSONBridge.convert(imported))))
        }
    }

    func exportMemOSDump(_ input: Operations.ExportMemOSDump.Input) async throws -> Operations.ExportMemOSDump.Output {
        await answering {
            let export = try await tenantStore(purpose: input.headers.memVaultPurpose).exportMemOSDump(
                try CubeID(input.path.cubeId))
            return .ok(.init(body: .json(try JSONBridge.convert(export))))
        }
    }
}

/// Memory modules over HTTP: pack, sign, trust, install, upgrade, uninstall, list (docs/portability.md).
extension API {
    func packModule(_ input: Operations.PackModule.Input) async throws -> Operations.PackModule.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let module = try await tenantStore(purpose: input.headers.memVaultPurpose).packModule(
                try CubeID(input.path.cubeId), name: body.name, version: body.version, license: body.license)
            return .ok(.init(body: .binary(HTTPBody(module.bytes))))
        }
    }

    func signModule(_ input: Operations.SignModule.Input) async throws -> Operations.SignModule.Output {
        await answering {
            guard case .binary(let body) = input.body else { throw Problems.unsupportedBody }
            let bytes = try await [UInt8](collecting: body, upTo: store.limits.maximumBundleBytes)
            let signed = try await tenantStore(purpose: nil).signModule(bytes)
            return .ok(.init(body: .binary(HTTPBody(signed.bytes))))
        }
    }

    func trustPublisher(_ input: Operations.TrustPublisher.Input) async throws -> Operations.TrustPublisher.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let publisher = try await tenantStore(purpose: nil).trustPublisher(
                key: body.key, name: body.name, revoke: body.revoke ?? false)
            return .ok(.init(body: .json(try JSONBridge.convert(publisher))))
        }
    }

    func installModule(_ input: Operations.InstallModule.Input) async throws -> Operations.InstallModule.Output {
        await answering {
            guard case .binary(let body) = input.body else { throw Problems.unsupportedBody }
            let installed = try await installing(body, purpose: input.headers.memVaultPurpose, upgrade: false)
            return .created(.init(body: .json(installed)))
        }
    }

    func upgradeModule(_ input: Operations.UpgradeModule.Input) async throws -> Operations.UpgradeModule.Output {
        await answering {
            guard case .binary(let body) = input.body else { throw Problems.unsupportedBody }
            return .ok(
                .init(body: .json(try await installing(body, purpose: input.headers.memVaultPurpose, upgrade: true))))
        }
    }

    /// Installs, or upgrades to, the module in `body`.
    private func installing(
        _ body: HTTPBody, purpose: String?, upgrade: Bool
    ) async throws -> Components.Schemas.ImportedCube {
        let bytes = try await [UInt8](collecting: body, upTo: store.limits.maximumBundleBytes)
        let store = try await tenantStore(purpose: purpose)
        return try JSONBridge.convert(
            upgrade ? try await store.upgradeModule(bytes) : try await store.installModule(bytes))
    }

    func uninstallModule(_ input: Operations.UninstallModule.Input) async throws -> Operations.UninstallModule.Output {
        await answering {
            let removed = try await tenantStore(purpose: nil).uninstallModule(input.path.moduleName)
            return .ok(.init(body: .json(try JSONBridge.convert(removed))))
        }
    }

    func listModules(_ input: Operations.ListModules.Input) async throws -> Operations.ListModules.Output {
        await answering {
            let store = try await tenantStore(purpose: nil)
            let modules = try await store.modules()
            let publishers = try await store.trustedPublishers()
            return .ok(
                .init(
                    body: .json(
                        .init(
                            modules: try modules.map { try JSONBridge.convert($0) },
                            publishers: try publishers.map { try JSONBridge.convert($0) }))))
        }
    }
}
