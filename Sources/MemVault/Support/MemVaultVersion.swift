/// The product's version, as servers announce it (the HTTP API document carries the same).
public enum MemVaultVersion {
    public static let current = "0.2.0"
}
