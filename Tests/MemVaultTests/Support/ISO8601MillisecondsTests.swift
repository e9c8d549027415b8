import Foundation
import Testing

@testable import MemVault

@Suite("ISO 8601 with milliseconds")
struct ISO8601MillisecondsTests {
    @Test("every millisecond prints as itself and reads back to the same stored time")
    func exact() throws {
        var generator = SystemRandomNumberGenerator()
        let samples: [Int64] =
            [0, 999, 1_000, 1_764_643_840_964, 1_764_643_813_103, 1_764_643_761_510]
            + (0..<2_000).map { _ in Int64.random(in: 0...4_102_444_800_000, using: &generator) }
        for milliseconds in samples {
            let date = StoredTime(milliseconds).date
            let text = ISO8601Milliseconds.format(date)
            #expect(text.hasSuffix(String(format: ".%03dZ", Int(milliseconds % 1_000))), "\(milliseconds): \(text)")
            let parsed = try #require(ISO8601Milliseconds.parse(text))
            #expect(StoredTime((parsed.timeIntervalSince1970 * 1000).rounded()) == milliseconds)
            #expect(parsed == date)
        }
        #expect(ISO8601Milliseconds.format(StoredTime(1_764_643_840_964).date) == "2025-12-02T02:50:40.964Z")
        #expect(ISO8601Milliseconds.parse("2026-11-21T10:00:00Z") != nil)
        #expect(ISO8601Milliseconds.parse("yesterday") == nil)
    }
}
