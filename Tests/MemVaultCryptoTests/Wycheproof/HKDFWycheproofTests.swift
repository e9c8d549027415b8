import MemVaultCrypto
import Testing

private struct HKDFGroup: Decodable {
    let tests: [HKDFVector]
}

private struct HKDFVector: Decodable {
    let tcId: Int
    let ikm: HexBytes
    let salt: HexBytes
    let info: HexBytes
    let size: Int
    let okm: HexBytes
    let result: WycheproofResult
}

@Suite("Wycheproof HKDF-SHA256")
struct HKDFWycheproofTests {
    @Test("every vector derives the expected key or is refused")
    func vectors() throws {
        let file = try WycheproofFile<HKDFGroup>.load("hkdf_sha256_test")
        var tally = VectorTally(name: "HKDF-SHA256")
        for vector in file.testGroups.flatMap(\.tests) {
            tally.inScope += 1
            let derived = try? HKDFSHA256.deriveKey(
                from: SymmetricKey(copying: vector.ikm.bytes), salt: vector.salt.bytes, info: vector.info.bytes,
                outputByteCount: vector.size)
            let ok: Bool
            switch vector.result {
            case .valid, .acceptable: ok = derived == SymmetricKey(copying: vector.okm.bytes)
            case .invalid: ok = derived == nil
            }
            tally.check(ok, vector.tcId, "\(vector.result) vector gave the wrong outcome")
            if ok { tally.passed += 1 }
        }
        print(tally)
        #expect(tally.failures.isEmpty, "\(tally.failures)")
        #expect(tally.passed == 86 && tally.inScope == file.numberOfTests)
    }

    @Test("lengths outside 1...8160 bytes are refused with the limit in the error")
    func outputLengthLimits() {
        let key = SymmetricKey(copying: [UInt8](repeating: 7, count: 32))
        for length in [0, -1, 255 * 32 + 1] {
            #expect(throws: CryptoError.invalidOutputLength(requested: length, maximum: 8160)) {
                try HKDFSHA256.deriveKey(from: key, info: [UInt8](), outputByteCount: length)
            }
        }
    }
}
