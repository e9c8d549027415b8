internal import COpenSSL
import Synchronization

/// AES-256-GCM contexts with one key already set, kept for reuse. Setting a key (AES's key schedule, GCM's hash
/// key) costs more than sealing a short message, so a message on a reused context only sets its nonce.
///
/// Each context is used by one caller at a time: taken from the idle list, used, and put back (at most
/// `maximumIdle` per direction are kept; the rest are freed, and OpenSSL wipes their key schedules). A context
/// whose use threw is not put back.
final class KeyedCipherContexts: Sendable {
    private let key: SymmetricKey
    private let idle = Mutex(Idle())
    static let maximumIdle = 8

    private struct Idle: ~Copyable {
        var sealing: [CipherContext] = []
        var opening: [CipherContext] = []
    }

    init(key: SymmetricKey) throws {
        guard key.byteCount == AES256GCM.keyByteCount else {
            throw CryptoError.incorrectKeySize(expected: AES256GCM.keyByteCount, actual: key.byteCount)
        }
        self.key = key
    }

    func withContext<Result>(
        encrypting: Bool, nonce: UnsafeRawBufferPointer, _ body: (CipherContext) throws -> Result
    ) throws -> Result {
        guard nonce.count == AES256GCM.nonceByteCount else {
            throw CryptoError.incorrectNonceSize(expected: AES256GCM.nonceByteCount, actual: nonce.count)
        }
        let context: CipherContext
        if let reused = idle.withLock({ encrypting ? $0.sealing.popLast() : $0.opening.popLast() }) {
            context = reused
            // Same cipher and key as before: only the nonce is new.
            let result =
                encrypting
                ? EVP_EncryptInit_ex2(context.pointer, nil, nil, bytes(nonce), nil)
                : EVP_DecryptInit_ex2(context.pointer, nil, nil, bytes(nonce), nil)
            try OpenSSLError.check(result, encrypting ? "EVP_EncryptInit_ex2" : "EVP_DecryptInit_ex2")
        } else {
            context = try CipherContext()
            let cipher = try OpenSSLAlgorithms.aes256GCM()
            let result = key.withUnsafeBytes { key in
                encrypting
                    ? EVP_EncryptInit_ex2(context.pointer, cipher, bytes(key), bytes(nonce), nil)
                    : EVP_DecryptInit_ex2(context.pointer, cipher, bytes(key), bytes(nonce), nil)
            }
            try OpenSSLError.check(result, encrypting ? "EVP_EncryptInit_ex2" : "EVP_DecryptInit_ex2")
        }
        let result = try body(context)
        idle.withLock { idle in
            if encrypting {
                if idle.sealing.count < Self.maximumIdle { idle.sealing.append(context) }
            } else if idle.opening.count < Self.maximumIdle {
                idle.opening.append(context)
            }
        }
        return result
    }
}
