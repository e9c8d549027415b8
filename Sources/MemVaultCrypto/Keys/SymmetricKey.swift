internal import COpenSSL

/// Secret key bytes: zeroed when the last copy is released, compared in constant time, never printed.
public struct SymmetricKey: Sendable {
    let secureBytes: SecureBytes

    /// Copies `bytes` into protected storage. The caller should wipe its own copy.
    public init(copying bytes: some Collection<UInt8>) {
        secureBytes = SecureBytes(copying: bytes)
    }

    init(secureBytes: SecureBytes) {
        self.secureBytes = secureBytes
    }

    /// A fresh key of `byteCount` bytes from OpenSSL's private CSPRNG.
    public static func random(byteCount: Int = 32) throws -> SymmetricKey {
        let bytes = try SecureBytes(count: byteCount) { buffer in
            try SecureRandom.fillPrivate(buffer)
        }
        return SymmetricKey(secureBytes: bytes)
    }

    public var byteCount: Int { secureBytes.count }

    /// Scoped access to the key bytes. Do not let them escape the closure.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try secureBytes.withUnsafeBytes(body)
    }
}

extension SymmetricKey: Equatable {
    /// Constant-time comparison of the key bytes.
    public static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool {
        lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                ConstantTime.equals(left, right)
            }
        }
    }
}

extension SymmetricKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SymmetricKey(\(byteCount * 8) bits, redacted)" }
    public var debugDescription: String { description }
    // `dump` and the debugger go through the mirror; show no children so no byte ever prints.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
