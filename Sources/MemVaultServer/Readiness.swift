import Synchronization

/// Whether the server takes requests: false until it listens and again once it starts shutting down, so a load
/// balancer drains it before it stops.
final class Readiness: Sendable {
    private let ready = Atomic<Bool>(false)

    var isReady: Bool { ready.load(ordering: .relaxed) }

    func set(_ value: Bool) { ready.store(value, ordering: .relaxed) }
}
