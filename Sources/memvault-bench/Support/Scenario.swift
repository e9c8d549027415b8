import Foundation

/// One benchmark scenario: what it measures, against which baseline, and the rows of figures it produced.
protocol Scenario {
    var name: String { get }
    func run() async throws -> ReportSection
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

    var ratioText: String {
        guard let baseline, baseline > 0, value > 0 else { return "–" }
        let ratio = higherIsBetter ? baseline / value : value / baseline
        return String(format: "%.2fx", ratio)
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
