import Foundation

/// One benchmark scenario: what it measures, against which baseline, and the rows of figures it produced.
protocol Scenario {
    var name: String { get }
    func run() async throws -> ReportSection
}

/// A scenario that could not measure what it set out to (missing data, a baseline that failed, a wrong count).
struct ScenarioFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// One figure next to its baseline measured in the same run.
struct Measurement {
    let label: String
    let value: Double
    let unit: String
    let baselineLabel: String?
    let baseline: Double?
    /// Whether larger is better (throughput) or smaller is (latency); decides how the ratio reads.
    let higherIsBetter: Bool

    /// How many times slower (or larger) than the baseline; nil without one.
    var ratio: Double? {
        guard let baseline, baseline > 0, value > 0 else { return nil }
        return higherIsBetter ? baseline / value : value / baseline
    }

    var ratioText: String {
        ratio.map { String(format: "%.2fx", $0) } ?? "–"
    }

    /// "2.12x, aim ≤ 2.5x: met" for a note that compares this run's figure with an issue's aim.
    func against(aim: Double) -> String {
        guard let ratio else { return "\(label): no baseline" }
        return "\(label): \(String(format: "%.2fx", ratio)) (aim ≤ \(String(format: "%.1fx", aim))): "
            + (ratio <= aim ? "met" : "not met")
    }

    var plainText: String {
        var text = "\(label): \(format(value)) \(unit)"
        if let baseline, let baselineLabel {
            text += "  vs \(baselineLabel): \(format(baseline)) \(unit)  (overhead \(ratioText))"
        }
        return text
    }
}

struct ReportSection {
    let title: String
    let description: String
    var rows: [Measurement]
    var notes: [String] = []
}

func format(_ value: Double) -> String {
    switch value {
    case 100...: String(format: "%.0f", value)
    case 1...: String(format: "%.1f", value)
    default: String(format: "%.3f", value)
    }
}
