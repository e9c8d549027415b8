/// The canonical encoding of "where a ciphertext belongs", used as AEAD associated data.
///
/// A domain label, then each field as (label, value) with 32-bit big-endian length prefixes, so no two different
/// contexts encode to the same bytes. A ciphertext sealed under one context does not open under any other: copied to
/// another row, cube, tenant or key version, it fails authentication.
public struct BindingContext: Sendable, Equatable {
    public private(set) var bytes: [UInt8]

    public init(domain: String) {
        bytes = []
        append(domain)
    }

    public func with(_ label: String, _ value: String) -> BindingContext {
        var copy = self
        copy.append(label)
        copy.append(value)
        return copy
    }

    public func with(_ label: String, _ value: UInt32) -> BindingContext {
        with(label, String(value))
    }

    private mutating func append(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes += withUnsafeBytes(of: UInt32(utf8.count).bigEndian, Array.init)
        bytes += utf8
    }
}
