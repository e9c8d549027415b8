import Metrics
import Prometheus

/// The Prometheus registry `/metrics` exposes. Metrics carry route templates, methods, statuses and counts: never
/// ids, tenants or content.
public struct MetricsExposition: Sendable {
    let registry: PrometheusCollectorRegistry

    /// This process's registry: swift-metrics is bootstrapped with a Prometheus factory over it the first time it
    /// is asked for (once per process, as swift-metrics requires), so the library's metrics (audit appends,
    /// group-commit batch sizes) and the server's land in it.
    public static let process: MetricsExposition = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return MetricsExposition(registry: registry)
    }()

    func exposition() -> String { registry.emitToString() }
}
