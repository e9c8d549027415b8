import ServiceLifecycle

/// Turns readiness off as soon as a graceful shutdown begins, so probes stop sending traffic while requests in
/// flight finish.
struct ReadinessDrain: Service {
    let readiness: Readiness

    func run() async throws {
        try await gracefulShutdown()
        readiness.set(false)
    }
}
