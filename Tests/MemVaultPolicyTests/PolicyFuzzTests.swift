import Foundation
import MemVaultPolicy
import Testing

/// Malformed input never crashes the loader and never half-loads: it is either a complete valid policy or a
/// PolicyLoadError with at least one positioned problem.
@Suite("Policy fuzzing")
struct PolicyFuzzTests {
    struct Mutator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    static let fragments = [
        ":", "- ", "[", "]", "{", "}", "\"", "'", "&a", "*a", "!!binary", "\t", "\n", "  ", "#", "? ", "|", ">", "%",
        "P1Y", "true", "null", "~", "0x1F", "\u{0}", "\u{FEFF}", "é", "policy:", "rules:", "- id: x",
    ]

    @Test("thousands of mutated policies: no crash, and every failure is a clear, positioned error")
    func mutations() throws {
        let sources = try ["default.yaml", "healthcare.yaml", "customer-support.yaml"].map {
            try String(contentsOfFile: PolicyFixtures.path($0), encoding: .utf8)
        }
        var random = Mutator(state: 42)
        var accepted = 0
        var rejected = 0
        for iteration in 0..<3_000 {
            var characters = Array(sources[iteration % sources.count])
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<characters.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: characters.remove(at: position)
                case 1: characters.insert(contentsOf: Self.fragments.randomElement(using: &random)!, at: position)
                case 2:
                    let length = min(Int.random(in: 1...40, using: &random), characters.count - position)
                    characters.removeSubrange(position..<(position + length))
                default: characters[position] = Character(UnicodeScalar(UInt8.random(in: 32...126, using: &random)))
                }
            }
            do {
                let policy = try PolicyLoader.load(yaml: String(characters), file: "fuzz.yaml")
                _ = try PolicyEngine(policy)
                accepted += 1
            } catch let error as PolicyLoadError {
                rejected += 1
                #expect(!error.problems.isEmpty)
                #expect(error.problems.allSatisfy { $0.line >= 1 && $0.column >= 1 && !$0.message.isEmpty })
            }
        }
        #expect(rejected > 1_000, "the mutations should break most files (\(accepted) accepted)")
    }

    @Test("arbitrary bytes never crash the loader")
    func randomText() {
        var random = Mutator(state: 9)
        for _ in 0..<2_000 {
            let text = String(
                (0..<Int.random(in: 0...200, using: &random)).map { _ in
                    Character(UnicodeScalar(UInt8.random(in: 9...126, using: &random)))
                })
            #expect(throws: PolicyLoadError.self) { try PolicyLoader.load(yaml: text, file: "random.yaml") }
        }
    }
}
