import MemVaultCrypto
import Testing

private struct AEADGroup: Decodable {
    let keySize: Int
    let ivSize: Int
    let tagSize: Int
    let tests: [AEADVector]
}

private struct AEADVector: Decodable {
    let tcId: Int
    let key: HexBytes
    let iv: HexBytes
    let aad: HexBytes
    let msg: HexBytes
    let ct: HexBytes
    let tag: HexBytes
    let result: WycheproofResult
}

@Suite("Wycheproof AES-GCM")
struct AESGCMWycheproofTests {
    @Test("AES-256 / 96-bit nonce / 128-bit tag vectors pass; every other size is refused")
    func vectors() throws {
        let file = try WycheproofFile<AEADGroup>.load("aes_gcm_test")
        var tally = VectorTally(name: "AES-256-GCM")
        for group in file.testGroups {
            let inScope = group.keySize == 256 && group.ivSize == 96 && group.tagSize == 128
            for vector in group.tests {
                if inScope {
                    tally.inScope += 1
                    if try runInScope(vector, &tally) { tally.passed += 1 }
                } else if isRefused(vector) {
                    tally.refused += 1
                } else {
                    tally.failures.append("tcId \(vector.tcId): a \(group.keySize)/\(group.ivSize) vector was accepted")
                }
            }
        }
        print(tally)
        #expect(tally.failures.isEmpty, "\(tally.failures)")
        #expect(tally.inScope == 66 && tally.passed == 66)
        #expect(tally.refused == file.numberOfTests - 66)
    }

    /// Valid vectors seal to exactly ct ‖ tag and open back; invalid ones fail to open.
    private func runInScope(_ vector: AEADVector, _ tally: inout VectorTally) throws -> Bool {
        let key = SymmetricKey(copying: vector.key.bytes)
        let nonce = try AES256GCM.Nonce(bytes: vector.iv.bytes)
        let box = try AES256GCM.SealedBox(nonce: nonce, ciphertext: vector.ct.bytes, tag: vector.tag.bytes)
        let opened = try? AES256GCM.open(box, using: key, authenticating: vector.aad.bytes)
        switch vector.result {
        case .valid:
            let sealed = try AES256GCM.seal(
                vector.msg.bytes, using: key, nonce: nonce, authenticating: vector.aad.bytes)
            let ok =
                sealed.ciphertext == vector.ct.bytes && sealed.tag == vector.tag.bytes && opened == vector.msg.bytes
            tally.check(ok, vector.tcId, "valid vector did not round-trip")
            return ok
        case .invalid, .acceptable:
            tally.check(opened == nil, vector.tcId, "invalid vector opened")
            return opened == nil
        }
    }

    /// Out-of-scope sizes must be refused by the API, before any decryption happens.
    private func isRefused(_ vector: AEADVector) -> Bool {
        do {
            let nonce = try AES256GCM.Nonce(bytes: vector.iv.bytes)
            let key = SymmetricKey(copying: vector.key.bytes)
            let box = try AES256GCM.SealedBox(nonce: nonce, ciphertext: vector.ct.bytes, tag: vector.tag.bytes)
            _ = try AES256GCM.open(box, using: key, authenticating: vector.aad.bytes)
            return false
        } catch CryptoError.incorrectKeySize, CryptoError.incorrectNonceSize, CryptoError.incorrectTagSize {
            return true
        } catch {
            return false
        }
    }
}
