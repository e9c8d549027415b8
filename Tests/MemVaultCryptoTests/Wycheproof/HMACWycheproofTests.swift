import MemVaultCrypto
import Testing

private struct MACGroup: Decodable {
    let tagSize: Int
    let tests: [MACVector]
}

private struct MACVector: Decodable {
    let tcId: Int
    let key: HexBytes
    let msg: HexBytes
    let tag: HexBytes
    let result: WycheproofResult
}

@Suite("Wycheproof HMAC-SHA256")
struct HMACWycheproofTests {
    @Test("every vector, full and truncated tags, gives the expected verdict")
    func vectors() throws {
        let file = try WycheproofFile<MACGroup>.load("hmac_sha256_test")
        var tally = VectorTally(name: "HMAC-SHA256")
        for group in file.testGroups {
            for vector in group.tests {
                tally.inScope += 1
                let key = SymmetricKey(copying: vector.key.bytes)
                let code = try HMACSHA256.authenticationCode(for: vector.msg.bytes, using: key)
                let apiVerdict = try HMACSHA256.isValidAuthenticationCode(
                    vector.tag.bytes, for: vector.msg.bytes, using: key)
                let matches = ConstantTime.equals(Array(code.prefix(group.tagSize / 8)), vector.tag.bytes)
                let expectedValid = vector.result != .invalid
                var ok = matches == expectedValid
                // The public verifier accepts only full-length codes; a truncated tag must never verify.
                ok = ok && apiVerdict == (expectedValid && group.tagSize == 256)
                tally.check(ok, vector.tcId, "\(vector.result) vector with \(group.tagSize)-bit tag")
                if ok { tally.passed += 1 }
            }
        }
        print(tally)
        #expect(tally.failures.isEmpty, "\(tally.failures)")
        #expect(tally.passed == 174 && tally.inScope == file.numberOfTests)
    }
}
