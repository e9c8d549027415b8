import Foundation
import MemVaultPolicy

/// The repository's Policies folder, found from this source file.
enum PolicyFixtures {
    static let policiesFolder = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Policies")

    static func path(_ name: String) -> String { policiesFolder.appending(path: name).path }

    static func engine(_ name: String = "default.yaml") throws -> PolicyEngine {
        try PolicyEngine(PolicyLoader.load(file: path(name)))
    }

    /// A small valid policy to mutate in tests.
    static let minimal = """
        policy: minimal
        version: 1
        purposes:
          personalisation:
            legal_basis: consent
          support:
            legal_basis: contract
        categories:
          preferences:
            retention: P30D
            purposes: [personalisation]
          tickets:
            purposes: [support]
        rules:
          - id: app
            effect: permit
            actions: [read, write]
            roles: [application]
        """

    static let now = Date(timeIntervalSince1970: 1_795_000_000)
}
