/// Pointer conversions for passing Swift buffers to OpenSSL.
///
/// An empty Swift buffer may have a nil base address, but several OpenSSL calls treat a null pointer as
/// "parameter absent" rather than "empty" (an HMAC key, an HKDF salt, an Ed25519 message). These helpers make the
/// difference explicit.

@inline(__always)
func bytes(_ buffer: UnsafeRawBufferPointer) -> UnsafePointer<UInt8>? {
    buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
}

@inline(__always)
func mutableBytes(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> UnsafeMutablePointer<UInt8>? {
    guard let base = buffer.baseAddress else { return nil }
    return (base + offset).assumingMemoryBound(to: UInt8.self)
}

/// Calls `body` with a pointer that is never null: the buffer's own, or a one-byte scratch for an empty buffer.
@inline(__always)
func withNonNullBytes<Result>(
    _ buffer: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>) throws -> Result
) rethrows -> Result {
    if let base = bytes(buffer), buffer.count > 0 {
        return try body(base)
    }
    var scratch: UInt8 = 0
    return try withUnsafePointer(to: &scratch) { try body($0) }
}

/// The mutable counterpart of `withNonNullBytes`.
@inline(__always)
func withNonNullMutableBytes<Result>(
    _ buffer: UnsafeMutableRawBufferPointer, _ body: (UnsafeMutablePointer<UInt8>) throws -> Result
) rethrows -> Result {
    if let base = mutableBytes(buffer, at: 0), buffer.count > 0 {
        return try body(base)
    }
    var scratch: UInt8 = 0
    return try withUnsafeMutablePointer(to: &scratch) { try body($0) }
}
