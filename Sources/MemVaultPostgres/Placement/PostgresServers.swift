import MemVault

/// The PostgreSQL servers a deployment places tenants on, by name: `primary` (the database given with `--postgres`,
/// which also holds the catalog and the key store) and any others the operator names. Names, not URLs, are
/// stored in the catalog, so a URL's password never reaches the database; every MemVault server is given the same
/// names and URLs.
public struct PostgresServers: Sendable {
    public static let primaryName = "primary"

    public let primary: PostgresURL
    /// Every server by name, the primary included.
    public let all: [String: PostgresURL]

    public init(primary: PostgresURL, others: [String: PostgresURL] = [:]) throws {
        for name in others.keys {
            guard name != Self.primaryName else {
                throw MemVaultError(.invalidArgument, "'primary' names the --postgres database; give another name")
            }
            try Self.validate(name)
        }
        self.primary = primary
        all = others.merging([Self.primaryName: primary]) { _, primary in primary }
    }

    /// Servers from `NAME=URL` entries (`--postgres-server`, `MEMVAULT_POSTGRES_SERVERS`).
    public init(primary: PostgresURL, entries: [String]) throws {
        var others: [String: PostgresURL] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "=") else {
                throw MemVaultError(.invalidArgument, "a PostgreSQL server is given as NAME=URL (e.g. b=postgres://…)")
            }
            let name = String(entry[..<equals])
            guard others[name] == nil else {
                throw MemVaultError(.invalidArgument, "the PostgreSQL server '\(name)' is given twice")
            }
            others[name] = try PostgresURL(String(entry[entry.index(after: equals)...]))
        }
        try self.init(primary: primary, others: others)
    }

    /// Names are short lower-case words, so they read well in the catalog, in logs and on the command line.
    static func validate(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
        guard !name.isEmpty, name.utf8.count <= 32, allowed else {
            throw MemVaultError(
                .invalidArgument, "a PostgreSQL server's name is 1 to 32 of a-z, 0-9 and '-' (not '\(name.prefix(40))')"
            )
        }
    }

    var names: [String] { all.keys.sorted() }
}
