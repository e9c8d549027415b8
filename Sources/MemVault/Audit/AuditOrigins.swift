/// The names of MemVault's audit logs (C2SP checkpoint origins, also the key names that sign them).
public enum AuditOrigins {
    /// A tenant's log: `memvault.local/<tenant>`.
    public static func tenant(_ tenant: TenantID) -> String { "memvault.local/\(tenant.rawValue)" }

    /// The installation's own log (tenant lifecycle, policies, key events). Tenant ids start with a letter or digit,
    /// so no tenant can share this name.
    public static let installation = "memvault.local/_installation"

    /// The tenant a tenant log's origin names, if it names one.
    public static func tenant(named origin: String) -> TenantID? {
        guard origin.hasPrefix("memvault.local/") else { return nil }
        return try? TenantID(String(origin.dropFirst("memvault.local/".count)))
    }
}
