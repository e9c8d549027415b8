/// Repeats `body` until `budget` has passed (after a short warm-up) and returns operations per second.
func operationsPerSecond(budget: Duration, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let warmUp = clock.now.advanced(by: budget / 10)
    while clock.now < warmUp { try body() }
    var operations = 0
    let start = clock.now
    let end = start.advanced(by: budget)
    while clock.now < end {
        for _ in 0..<16 { try body() }
        operations += 16
    }
    let elapsed = start.duration(to: clock.now)
    return Double(operations) / elapsed.seconds
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Awaits `body` again and again for `budget`; operations per second.
func sequentialRate(budget: Duration, _ body: () async throws -> Void) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var operations = 0
    while start.duration(to: clock.now) < budget {
        try await body()
        operations += 1
    }
    return Double(operations) / start.duration(to: clock.now).seconds
}

/// `workers` tasks awaiting `body` again and again for `budget`; total operations per second.
func concurrentOperationsPerSecond(
    budget: Duration, workers: Int, _ body: @escaping @Sendable () async throws -> Void
) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    let end = start.advanced(by: budget)
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<workers {
            group.addTask {
                var count = 0
                while clock.now < end {
                    try await body()
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    return Double(total) / start.duration(to: clock.now).seconds
}

/// Measures `ours` and `baseline` in alternating rounds, so that the drift of a noisy machine (other load, thermal
/// throttling, the page cache) falls on both, and returns the median of each.
func paired(
    rounds: Int, _ ours: () async throws -> Double, baseline: () async throws -> Double
) async throws -> (ours: Double, baseline: Double) {
    var mine: [Double] = []
    var theirs: [Double] = []
    for round in 0..<rounds {
        // Alternate which goes first, so neither always runs on a warmer (or more fragmented) database.
        if round.isMultiple(of: 2) {
            mine.append(try await ours())
            theirs.append(try await baseline())
        } else {
            theirs.append(try await baseline())
            mine.append(try await ours())
        }
    }
    return (median(mine), median(theirs))
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count.isMultiple(of: 2)
        ? (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2 : sorted[sorted.count / 2]
}
