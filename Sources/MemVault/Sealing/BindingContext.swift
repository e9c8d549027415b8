import MemVaultCrypto

/// The canonical encoding of "where a ciphertext belongs", used as AEAD associated data.
///
/// A domain label, then each field as (label, value) with 32-bit big-endian length prefixes, so no two different
/// contexts encode to the same bytes. A ciphertext sealed under one context does not open under any other: copied to
/// another row, cube, tenant or key version, it fails authentication.
public struct BindingContext: Sendable, Equatable {
    public private(set) var bytes: [UInt8]

    public init(domain: String, capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
        append(domain)
    }

    public func with(_ label: String, _ value: String) -> BindingContext {
        var copy = self
        copy.append(label, value)
        return copy
    }

    public func with(_ label: String, _ value: UInt32) -> BindingContext {
        with(label, String(value))
    }

    /// Appends a field in place; the way to build a context on a hot path.
    public mutating func append(_ label: String, _ value: String) {
        append(label)
        append(value)
    }

    /// Appends an integer field without formatting it: the label, then a length-prefixed value of 8 big-endian
    /// bytes, or of no bytes for nil (the same framing as text, so still unambiguous).
    public mutating func append(_ label: String, integer value: Int64?) {
        append(label)
        guard let value else {
            BigEndian.append(UInt32(0), to: &bytes)
            return
        }
        BigEndian.append(UInt32(8), to: &bytes)
        BigEndian.append(UInt64(bitPattern: value), to: &bytes)
    }

    private mutating func append(_ text: String) {
        BigEndian.append(UInt32(text.utf8.count), to: &bytes)
        bytes.append(contentsOf: text.utf8)
    }
}
