import Foundation
import MemVaultAudit
import MemVaultCrypto
import Testing

@testable import MemVault

/// Sealed migration bundles: only the recipient tenant opens one, every change to one is refused before anything is
/// written, and the bundle carries no plaintext.
@Suite("Migration bundles")
struct BundleTests {
    struct Pair {
        let source: StoreFixture
        let destination: StoreFixture
        let cube: CubeID
        let bundle: ExportedBundle
    }

    static func pair() async throws -> Pair {
        let source = try await StoreFixture.make()
        let destination = try await StoreFixture.make(tenants: ["globex", "initech"])
        let (cube, _) = try await CubeMigrationTests.aliceCube(in: source)
        let recipient = try await destination.tenant("globex", as: .administrator).portabilityKeys().recipient
        let bundle = try await source.tenant(as: .administrator).exportBundle(cube, to: recipient)
        return Pair(source: source, destination: destination, cube: cube, bundle: bundle)
    }

    @Test("sealed to the recipient, signed by the sender, with no plaintext, subject id or cube name in it")
    func sealedAndSigned() async throws {
        let pair = try await Self.pair()
        let text = String(decoding: pair.bundle.bytes, as: UTF8.self)
        for secret in ["oolong", "green tea", "Lisbon", "alice@example.com", "alice's memories", "chat-app"] {
            #expect(!text.contains(secret), "\(secret)")
        }
        let manifest = pair.bundle.manifest
        #expect(manifest.kind == .migration && manifest.contents.memories == 3 && manifest.contents.versions == 5)
        #expect(manifest.contents.categories == ["conversation", "general", "profile"])
        #expect(manifest.signer == (try await pair.source.tenant(as: .administrator).portabilityKeys().signer))

        let globex = try await pair.destination.tenant("globex", as: .administrator)
        let imported = try await globex.importBundle(pair.bundle.bytes, trustedSenders: [manifest.signer])
        #expect(imported.memories == 3 && imported.versions == 5 && imported.embeddings == 1)
        let entry = try #require(
            try await pair.destination.tenant("globex", as: .auditor).auditLog().last { $0.action == .import })
        #expect(entry.detail?.hasSuffix("sha256:\(manifest.contentHash)") == true)
    }

    @Test("whoever carries a bundle reads its signed manifest without a key, and a changed byte fails the signature")
    func manifestWithoutKeys() async throws {
        let pair = try await Self.pair()
        let limit = StoreLimits().maximumBundleBytes
        #expect(try BundleContainer.manifest(of: pair.bundle.bytes, maximumBytes: limit) == pair.bundle.manifest)
        for offset in [9, pair.bundle.bytes.count / 2, pair.bundle.bytes.count - 70, pair.bundle.bytes.count - 1] {
            var changed = pair.bundle.bytes
            changed[offset] ^= 0x01
            #expect(throws: BundleError.self, "byte \(offset)") {
                try BundleContainer.manifest(of: changed, maximumBytes: limit)
            }
        }
        #expect(throws: BundleError.oversize(bytes: pair.bundle.bytes.count, maximum: 100)) {
            try BundleContainer.manifest(of: pair.bundle.bytes, maximumBytes: 100)
        }
    }

    @Test("another tenant, an untrusted sender, another format version: refused with a clear error")
    func refusals() async throws {
        let pair = try await Self.pair()
        let initech = try await pair.destination.tenant("initech", as: .administrator)
        let other = await #expect(throws: MemVaultError.self) { try await initech.importBundle(pair.bundle.bytes) }
        #expect(other?.message.contains("sealed to another recipient") == true)

        let globex = try await pair.destination.tenant("globex", as: .administrator)
        let untrusted = await #expect(throws: MemVaultError.self) {
            try await globex.importBundle(pair.bundle.bytes, trustedSenders: [String(repeating: "ab", count: 32)])
        }
        #expect(untrusted?.message.contains("not the sender this import trusts") == true)

        // A well-signed bundle of a future manifest format is refused as such, not half-read.
        var future = pair.bundle.manifest
        future.formatVersion = 2
        let signer = try Ed25519.PrivateKey()
        future.signer = Hex.encode(signer.publicKey.rawRepresentation)
        let newer = try BundleContainer.make(
            manifest: future, content: Array("{}".utf8), signer: signer,
            recipient: try X25519.PublicKey(rawRepresentation: Hex.decode(future.recipient!)!))
        let unknown = await #expect(throws: MemVaultError.self) { try await globex.importBundle(newer) }
        #expect(unknown?.message.contains("unknown format") == true)
        await #expect(throws: MemVaultError.self) { try await globex.importBundle(Array("PK\u{3}\u{4}zip".utf8)) }
        #expect(try await globex.cubes().items.isEmpty)
    }

    @Test("fuzz: flipped bytes, truncations and extensions never crash and never import anything")
    func fuzz() async throws {
        let pair = try await Self.pair()
        let globex = try await pair.destination.tenant("globex", as: .administrator)
        let original = pair.bundle.bytes
        var generator = SeededGenerator(seed: 0x6d76_6275_6e64)
        var refused = 0
        for round in 0..<400 {
            var mutated = original
            switch round % 4 {
            case 0:
                // One byte changed anywhere: header, manifest, sealing header, content or signature.
                let index = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[index] ^= UInt8.random(in: 1...255, using: &generator)
            case 1:
                mutated = Array(mutated.prefix(Int.random(in: 0..<mutated.count, using: &generator)))
            case 2:
                mutated += (0..<Int.random(in: 1...64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            default:
                // A length field pointed elsewhere: the manifest's or the content's.
                let index = [9, 10, 11, 12].randomElement(using: &generator)!
                mutated[index] = UInt8.random(in: 0...255, using: &generator)
                if mutated == original { continue }
            }
            do {
                _ = try await globex.importBundle(mutated)
                Issue.record("round \(round): a mutated bundle was imported")
            } catch let error as MemVaultError {
                #expect(error.code == .invalidArgument, "round \(round): \(error)")
                refused += 1
            }
        }
        #expect(refused >= 390)
        let app = try await pair.destination.tenant("globex")
        #expect(try await app.cubes().items.isEmpty)
        #expect(try await app.usage().memories == 0)
        // The original still imports afterwards: the refusals left nothing behind to conflict with.
        _ = try await globex.importBundle(original)
        #expect(try await app.usage().memories == 3)
    }
}
