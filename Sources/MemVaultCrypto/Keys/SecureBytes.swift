internal import COpenSSL

/// Heap storage for secret bytes that is wiped with `OPENSSL_cleanse` when released.
///
/// The storage is written only during initialisation and never handed out mutably afterwards, which is what makes
/// sharing it across concurrency domains safe.
final class SecureBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    /// Allocates `count` bytes and lets `initialize` fill them; the buffer is wiped if `initialize` throws.
    init(count: Int, initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        // A zero-length allocation still gets a distinct pointer so that `withUnsafeBytes` never sees nil.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        do {
            try initialize(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        } catch {
            // `self` is not initialised yet, so `deinit` will not run: wipe and free here, exactly once.
            OPENSSL_cleanse(buffer.baseAddress, buffer.count)
            buffer.deallocate()
            throw error
        }
        storage = buffer
        self.count = count
    }

    convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { buffer in
            _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    let count: Int

    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }
}
