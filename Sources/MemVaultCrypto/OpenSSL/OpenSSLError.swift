internal import COpenSSL

/// Turns OpenSSL's per-thread error queue into `CryptoError`, and keeps the queue empty between calls.
enum OpenSSLError {
    /// The reason for the last failure on this thread, with the queue cleared afterwards.
    static func failure(_ operation: String) -> CryptoError {
        let code = ERR_peek_last_error()
        var reason = "no reason given"
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        clearQueue()
        return .openSSLFailure(operation: operation, reason: reason)
    }

    static func clearQueue() {
        ERR_clear_error()
    }

    /// Throws the queued OpenSSL failure unless `result` is 1, OpenSSL's success value.
    static func check(_ result: Int32, _ operation: String) throws {
        guard result == 1 else { throw failure(operation) }
    }
}
