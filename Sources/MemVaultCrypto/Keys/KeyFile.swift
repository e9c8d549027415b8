#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Reads and writes raw key files, moving the bytes directly between the file and zeroing key storage.
///
/// A key file holds exactly the key bytes, is a regular file, and is readable and writable by its owner only
/// (mode 0600). A file that group or others can read or write is refused, as OpenSSH refuses a loose private key.
public enum KeyFile {
    public enum Failure: Error, Equatable, Sendable {
        case notFound(path: String)
        case alreadyExists(path: String)
        case notARegularFile(path: String)
        /// The permission bits, which must be 0600 (or stricter).
        case permissionsTooOpen(path: String, mode: UInt32)
        case wrongSize(path: String, expected: Int, actual: Int)
        case ioFailure(path: String, operation: String, reason: String)
    }

    /// Creates `path` exclusively with mode 0600 and writes `key`, flushed to stable storage before returning.
    public static func write(_ key: SymmetricKey, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw Failure.alreadyExists(path: path) }
            throw Failure.ioFailure(path: path, operation: "create", reason: reason(code))
        }
        defer { close(descriptor) }
        try key.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = systemWrite(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    throw Failure.ioFailure(path: path, operation: "write", reason: reason(errno))
                }
                written += result
            }
        }
        guard fsync(descriptor) == 0 else {
            throw Failure.ioFailure(path: path, operation: "fsync", reason: reason(errno))
        }
    }

    /// Reads a key of exactly `byteCount` bytes, refusing loose permissions and anything but a regular file.
    public static func read(from path: String, byteCount: Int = 32) throws -> SymmetricKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw Failure.notFound(path: path) }
            if code == ELOOP { throw Failure.notARegularFile(path: path) }
            throw Failure.ioFailure(path: path, operation: "open", reason: reason(code))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw Failure.ioFailure(path: path, operation: "stat", reason: reason(errno))
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw Failure.notARegularFile(path: path) }
        let permissions = UInt32(status.st_mode) & 0o777
        guard permissions & 0o077 == 0 else { throw Failure.permissionsTooOpen(path: path, mode: permissions) }
        guard Int(status.st_size) == byteCount else {
            throw Failure.wrongSize(path: path, expected: byteCount, actual: Int(status.st_size))
        }
        let storage = try SecureBytes(count: byteCount) { buffer in
            var filled = 0
            while filled < byteCount {
                let result = systemRead(descriptor, buffer.baseAddress! + filled, byteCount - filled)
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    throw Failure.ioFailure(
                        path: path, operation: "read", reason: result == 0 ? "short file" : reason(errno))
                }
                filled += result
            }
        }
        return SymmetricKey(secureBytes: storage)
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

extension KeyFile.Failure: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notFound(let path):
            "key file \(path) does not exist"
        case .alreadyExists(let path):
            "key file \(path) already exists; refusing to overwrite a key"
        case .notARegularFile(let path):
            "key file \(path) is not a regular file (symbolic links are refused)"
        case .permissionsTooOpen(let path, let mode):
            "key file \(path) has mode \(String(mode, radix: 8)); it must not be readable or writable by group or "
                + "others: run `chmod 600 \(path)`"
        case .wrongSize(let path, let expected, let actual):
            "key file \(path) holds \(actual) bytes; a MemVault key file holds exactly \(expected)"
        case .ioFailure(let path, let operation, let reason):
            "key file \(path): \(operation) failed: \(reason)"
        }
    }
}

// The POSIX calls, named apart from KeyFile's own `read` and `write`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
