internal import COpenSSL

/// SHA-256 through OpenSSL's EVP interface.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash(_ data: some ContiguousBytes) throws -> [UInt8] {
        var hasher = try SHA256Hasher()
        try hasher.update(data)
        return try hasher.finalize()
    }
}

/// Incremental SHA-256 for inputs that arrive in pieces (hash chains, canonical encodings).
public struct SHA256Hasher: ~Copyable {
    private let context: DigestContext

    public init() throws {
        let context = try DigestContext()
        try OpenSSLError.check(
            EVP_DigestInit_ex2(context.pointer, try OpenSSLAlgorithms.sha256(), nil), "EVP_DigestInit_ex2")
        self.context = context
    }

    public mutating func update(_ data: some ContiguousBytes) throws {
        try data.withUnsafeBytes { buffer throws in
            guard buffer.count > 0 else { return }
            try OpenSSLError.check(
                EVP_DigestUpdate(context.pointer, buffer.baseAddress, buffer.count), "EVP_DigestUpdate")
        }
    }

    public consuming func finalize() throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: SHA256.byteCount)
        var length: UInt32 = 0
        try OpenSSLError.check(EVP_DigestFinal_ex(context.pointer, &digest, &length), "EVP_DigestFinal_ex")
        return digest
    }

    private func update(_ buffer: UnsafeRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        try OpenSSLError.check(EVP_DigestUpdate(context.pointer, buffer.baseAddress, buffer.count), "EVP_DigestUpdate")
    }
}

/// SHA-256 for many short inputs in a row: one OpenSSL context, reset for each hash instead of allocated, which
/// is what dominates hashing a few hundred bytes. Not for sharing between tasks.
public final class SHA256Digester {
    private let context: DigestContext
    private let algorithm: OpaquePointer

    public init() throws {
        context = try DigestContext()
        algorithm = try OpenSSLAlgorithms.sha256()
    }

    /// SHA-256 of the concatenation of `first` and `second`.
    public func hash(_ first: some ContiguousBytes, _ second: some ContiguousBytes = [UInt8]()) throws -> [UInt8] {
        try OpenSSLError.check(EVP_DigestInit_ex2(context.pointer, algorithm, nil), "EVP_DigestInit_ex2")
        try first.withUnsafeBytes { try update($0) }
        try second.withUnsafeBytes { try update($0) }
        var digest = [UInt8](repeating: 0, count: SHA256.byteCount)
        var length: UInt32 = 0
        try OpenSSLError.check(EVP_DigestFinal_ex(context.pointer, &digest, &length), "EVP_DigestFinal_ex")
        return digest
    }

    private func update(_ buffer: UnsafeRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        try OpenSSLError.check(EVP_DigestUpdate(context.pointer, buffer.baseAddress, buffer.count), "EVP_DigestUpdate")
    }
}
