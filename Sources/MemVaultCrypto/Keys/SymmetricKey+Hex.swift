extension SymmetricKey {
    /// Decodes hex key text (e.g. from an environment variable) straight into zeroing storage; nil if not hex.
    public init?(hexEncoded text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        let storage = try? SecureBytes(count: digits.count / 2) { buffer in
            for index in 0..<buffer.count {
                guard let high = Hex.value(of: digits[2 * index]), let low = Hex.value(of: digits[2 * index + 1]) else {
                    throw CryptoError.malformedEnvelope(reason: "not hex")
                }
                buffer[index] = high << 4 | low
            }
        }
        guard let storage else { return nil }
        self.init(secureBytes: storage)
    }
}
