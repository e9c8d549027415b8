import MemVault
import Testing

@testable import MemVaultServer

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("a tenant bursts to its rate, then is held to it; each tenant has its own bucket")
    func tokenBucket() throws {
        let limiter = RateLimiter()
        let acme = try TenantID("acme")
        let start = ContinuousClock.now
        for _ in 0..<10 { try limiter.admit(acme, perSecond: 10, at: start) }
        let refused = #expect(throws: RateLimited.self) { try limiter.admit(acme, perSecond: 10, at: start) }
        #expect(refused?.retryAfter == 1 && refused?.error.code == .rateLimited)
        try limiter.admit(try TenantID("globex"), perSecond: 10, at: start)
        // A tenth of a second later one token is back, and only one.
        try limiter.admit(acme, perSecond: 10, at: start + .milliseconds(100))
        #expect(throws: RateLimited.self) { try limiter.admit(acme, perSecond: 10, at: start + .milliseconds(100)) }
        // At one request per second, an empty bucket refills in one second.
        let slow = try TenantID("slow")
        try limiter.admit(slow, perSecond: 1, at: start)
        let wait = #expect(throws: RateLimited.self) { try limiter.admit(slow, perSecond: 1, at: start) }
        #expect(wait?.retryAfter == 1)
    }
}
