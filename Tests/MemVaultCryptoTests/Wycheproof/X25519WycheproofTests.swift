import MemVaultCrypto
import Testing

private struct XDHGroup: Decodable {
    let curve: String
    let tests: [XDHVector]
}

private struct XDHVector: Decodable {
    let tcId: Int
    let flags: [String]
    let `public`: HexBytes
    let `private`: HexBytes
    let shared: HexBytes
    let result: WycheproofResult
}

@Suite("Wycheproof X25519")
struct X25519WycheproofTests {
    @Test("every agreement gives the file's secret, except that an all-zero secret is refused")
    func vectors() throws {
        let file = try WycheproofFile<XDHGroup>.load("x25519_test")
        var tally = VectorTally(name: "X25519")
        for group in file.testGroups {
            #expect(group.curve == "curve25519")
            for vector in group.tests {
                tally.inScope += 1
                let key = try X25519.PrivateKey(rawRepresentation: SymmetricKey(copying: vector.private.bytes))
                let peer = try X25519.PublicKey(rawRepresentation: vector.public.bytes)
                let secret = try? key.sharedSecret(with: peer).withUnsafeBytes { Array($0) }
                let ok: Bool
                if vector.flags.contains("ZeroSharedSecret") {
                    // RFC 7748 §6.1 lets a protocol reject the all-zero secret of a low-order key; ours must.
                    #expect(vector.shared.bytes.allSatisfy { $0 == 0 })
                    ok = secret == nil
                    tally.check(ok, vector.tcId, "a low-order public key was accepted")
                    if ok { tally.refused += 1 }
                } else {
                    ok = secret == vector.shared.bytes
                    tally.check(ok, vector.tcId, "\(vector.result) vector gave another secret")
                    if ok { tally.passed += 1 }
                }
            }
        }
        print(tally)
        #expect(tally.failures.isEmpty, "\(tally.failures)")
        #expect(tally.inScope == file.numberOfTests && tally.refused == 31 && tally.passed == file.numberOfTests - 31)
    }
}
