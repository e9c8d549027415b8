import MemVaultCrypto
import Testing

private struct EdDSAGroup: Decodable {
    struct Key: Decodable { let pk: HexBytes }
    let publicKey: Key
    let tests: [EdDSAVector]
}

private struct EdDSAVector: Decodable {
    let tcId: Int
    let msg: HexBytes
    let sig: HexBytes
    let result: WycheproofResult
}

@Suite("Wycheproof Ed25519")
struct Ed25519WycheproofTests {
    @Test("every signature verifies or is rejected exactly as the file says")
    func vectors() throws {
        let file = try WycheproofFile<EdDSAGroup>.load("ed25519_test")
        var tally = VectorTally(name: "Ed25519")
        for group in file.testGroups {
            let key = try Ed25519.PublicKey(rawRepresentation: group.publicKey.pk.bytes)
            for vector in group.tests {
                tally.inScope += 1
                let verdict = key.isValidSignature(vector.sig.bytes, for: vector.msg.bytes)
                let ok = verdict == (vector.result == .valid)
                tally.check(ok, vector.tcId, "\(vector.result) signature gave \(verdict)")
                if ok { tally.passed += 1 }
            }
        }
        print(tally)
        #expect(tally.failures.isEmpty, "\(tally.failures)")
        #expect(tally.passed == 151 && tally.inScope == file.numberOfTests)
    }
}
