extension SymmetricKey {
    /// Decodes hex key text (e.g. from an environment variable) straight into zeroing storage; nil if not hex.
    public init?(hexEncoded text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        let storage = try? SecureBytes(count: digits.count / 2) { buffer in
            for index in 0..<buffer.count {
                guard let high = Self.nibble(digits[2 * index]), let low = Self.nibble(digits[2 * index + 1]) else {
                    throw CryptoError.malformedEnvelope(reason: "not hex")
                }
                buffer[index] = high << 4 | low
            }
        }
        guard let storage else { return nil }
        self.init(secureBytes: storage)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
