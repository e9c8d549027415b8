public import Foundation
public import MemVaultPolicy
import Synchronization

/// The policies tenants are governed by, loaded from a folder of policy files (`<name>.yaml`).
///
/// A policy that does not validate never takes effect: loading it fails (and the store refuses to start), and a
/// reload that meets an invalid file keeps every previous valid policy in force.
public final class PolicyRegistry: Sendable {
    public let folder: URL
    private let engines = Mutex([String: PolicyEngine]())

    public init(folder: URL) {
        self.folder = folder
    }

    /// The policy named `name`, loading it on first use.
    public func engine(_ name: String) throws -> PolicyEngine {
        if let engine = engines.withLock({ $0[name] }) { return engine }
        let engine = try load(name)
        return engines.withLock { engines in
            if let existing = engines[name] { return existing }
            engines[name] = engine
            return engine
        }
    }

    /// Re-reads every loaded policy. All or nothing: if any file fails, nothing changes and the error says why.
    /// Returns the names with their new revisions.
    @discardableResult
    public func reload() throws -> [String: String] {
        let names = engines.withLock { Array($0.keys) }
        var fresh: [String: PolicyEngine] = [:]
        for name in names { fresh[name] = try load(name) }
        engines.withLock { engines in
            for (name, engine) in fresh { engines[name] = engine }
        }
        return fresh.mapValues(\.revision)
    }

    func path(_ name: String) -> String { folder.appending(path: "\(name).yaml").path }

    private func load(_ name: String) throws -> PolicyEngine {
        _ = try Token.validate(name, what: "policy name")
        let path = path(name)
        guard FileManager.default.fileExists(atPath: path) else {
            throw MemVaultError(
                .policyInvalid,
                "policy '\(name)' not found: expected \(path) (set the policies folder with --policies or "
                    + "MEMVAULT_POLICIES)")
        }
        do {
            return try PolicyEngine(PolicyLoader.load(file: path))
        } catch let error as PolicyLoadError {
            throw MemVaultError(.policyInvalid, "policy '\(name)' does not validate and was not applied:\n\(error)")
        }
    }
}
