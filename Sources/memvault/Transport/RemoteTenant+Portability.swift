import Foundation
import MemVault
import MemVaultInterop

/// Bundles, other platforms' formats, the subject's export and modules over the HTTP API. Bundles and modules
/// travel as bytes; a bundle the server returns is checked (format and signature) before it is written anywhere.
extension RemoteTenant: PortabilityOperations {
    func portabilityKeys() async throws -> PortabilityKeys {
        try await client.send("GET", "v1/portability/keys")
    }

    // MARK: Out

    /// The server's bundle; the reasons for withheld memories are not carried over HTTP (the manifest counts them).
    func exportBundle(_ cube: CubeID, to recipient: String) async throws -> ExportedBundle {
        struct Request: Encodable { let recipient: String }
        return try Self.bundle(
            try await client.download("POST", "v1/cubes/\(cube)/bundle", content: .json(Request(recipient: recipient))))
    }

    func exportMemOSDump(_ cube: CubeID) async throws -> MemOSExport {
        try await client.send("POST", "v1/cubes/\(cube)/memos-dump", content: nil)
    }

    func exportSubject(_ subject: SubjectID) async throws -> SubjectExport {
        try await client.send("GET", "v1/subjects/\(subject)/export")
    }

    // MARK: In

    func importBundle(_ bytes: [UInt8], trustedSenders: Set<String>?) async throws -> ImportedCube {
        struct Imported: Decodable { let imported: [ImportedCube] }
        let answer: Imported = try await client.send(
            "POST", "v1/bundles",
            query: (trustedSenders ?? []).sorted().map { URLQueryItem(name: "trustedSender", value: $0) },
            content: .binary(bytes))
        guard answer.imported.count == 1 else {
            throw MemVaultError(.internalError, "the server imported \(answer.imported.count) cubes from one bundle")
        }
        return answer.imported[0]
    }

    func importMemOSDump(
        config: MemVaultInterop.JSONValue?, textual: MemVaultInterop.JSONValue, category: String, subject: String?
    ) async throws -> ForeignImport {
        struct Request: Encodable {
            let config: MemVaultInterop.JSONValue?
            let textualMemory: MemVaultInterop.JSONValue
            let category: String
            let externalId: String?
        }
        return try await client.send(
            "POST", "v1/imports/memos",
            body: Request(config: config, textualMemory: textual, category: category, externalId: subject))
    }

    func importMem0Export(
        memories: MemVaultInterop.JSONValue, history: MemVaultInterop.JSONValue?, category: String, subject: String?
    ) async throws -> ForeignImport {
        struct Request: Encodable {
            let memories: MemVaultInterop.JSONValue
            let history: MemVaultInterop.JSONValue?
            let category: String
            let externalId: String?
        }
        return try await client.send(
            "POST", "v1/imports/mem0",
            body: Request(memories: memories, history: history, category: category, externalId: subject))
    }

    // MARK: Modules

    func packModule(_ cube: CubeID, name: String, version: String, license: String) async throws -> ExportedBundle {
        struct Request: Encodable {
            let name: String
            let version: String
            let license: String
        }
        return try Self.bundle(
            try await client.download(
                "POST", "v1/cubes/\(cube)/module",
                content: .json(Request(name: name, version: version, license: license))))
    }

    func signModule(_ bytes: [UInt8]) async throws -> ExportedBundle {
        try Self.bundle(try await client.download("POST", "v1/modules/sign", content: .binary(bytes)))
    }

    func trustPublisher(key: String, name: String, revoke: Bool) async throws -> TrustedPublisher {
        struct Request: Encodable {
            let key: String
            let name: String
            let revoke: Bool
        }
        return try await client.send(
            "POST", "v1/modules/publishers", body: Request(key: key, name: name, revoke: revoke))
    }

    func installModule(_ bytes: [UInt8]) async throws -> ImportedCube {
        try await client.send("POST", "v1/modules/install", content: .binary(bytes))
    }

    func upgradeModule(_ bytes: [UInt8]) async throws -> ImportedCube {
        try await client.send("POST", "v1/modules/upgrade", content: .binary(bytes))
    }

    func uninstallModule(_ name: String) async throws -> MemCube {
        // Module names are tokens (a-z first, then a-z, 0-9, '-', '_', '.'), so never a path of their own.
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first),
            name.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
            })
        else { throw MemVaultError(.invalidArgument, "'\(name.prefix(64))' is not a module name") }
        return try await client.send("DELETE", "v1/modules/\(name)", content: nil)
    }

    func modules() async throws -> [MemCube] {
        try await moduleList().modules
    }

    func trustedPublishers() async throws -> [TrustedPublisher] {
        try await moduleList().publishers
    }

    private struct ModuleList: Decodable {
        let modules: [MemCube]
        let publishers: [TrustedPublisher]
    }

    private func moduleList() async throws -> ModuleList {
        try await client.send("GET", "v1/modules")
    }

    /// The server's bundle, its format and signature checked, with the manifest it signs.
    private static func bundle(_ bytes: [UInt8]) throws -> ExportedBundle {
        do {
            let manifest = try BundleContainer.manifest(of: bytes, maximumBytes: StoreLimits().maximumBundleBytes)
            return ExportedBundle(bytes: bytes, manifest: manifest, withheld: [])
        } catch let error as BundleError {
            throw MemVaultError(.internalError, "the server's bundle does not verify: \(error)")
        }
    }
}
