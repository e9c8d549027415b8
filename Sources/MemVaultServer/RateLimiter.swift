import Foundation
import MemVault
import Synchronization

/// Requests per second per tenant, as its quota sets: a token bucket per tenant that holds one second's worth, so a
/// tenant may burst to its rate and is then held to it. In memory, per process.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilled: ContinuousClock.Instant
    }

    private let buckets = Mutex<[TenantID: Bucket]>([:])

    /// Takes a token for `tenant`, or throws `RateLimited` with the seconds until one is free.
    func admit(_ tenant: TenantID, perSecond rate: Int, at now: ContinuousClock.Instant = .now) throws {
        let capacity = Double(rate)
        let wait: Double? = buckets.withLock { buckets in
            var bucket = buckets[tenant] ?? Bucket(tokens: capacity, refilled: now)
            let elapsed = now - bucket.refilled
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * capacity)
            bucket.refilled = now
            defer { buckets[tenant] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / capacity }
            bucket.tokens -= 1
            return nil
        }
        if let wait { throw RateLimited(tenant: tenant, rate: rate, retryAfter: max(1, Int(wait.rounded(.up)))) }
    }
}

/// A tenant past its requests per second: answered 429 with `Retry-After`.
struct RateLimited: Error {
    let tenant: TenantID
    let rate: Int
    let retryAfter: Int

    var error: MemVaultError {
        MemVaultError(
            .rateLimited,
            "tenant '\(tenant)' is past its quota of \(rate) requests per second; retry after "
                + "\(retryAfter) s")
    }
}
