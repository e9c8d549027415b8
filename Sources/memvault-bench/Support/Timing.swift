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
