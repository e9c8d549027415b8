import Foundation

/// The Markdown report: machine, date, then one table per scenario.
struct Report {
    var sections: [ReportSection] = []

    func markdown() -> String {
        var lines = [
            "# MemVault benchmarks",
            "",
            "Written by `swift build -c release && .build/release/memvault-bench` (Sources/memvault-bench); do not edit",
            "by hand.",
            "Every figure is measured in the same run as its baseline. Overhead is how many times slower (or",
            "larger) MemVault is than the baseline: 1.00x means no overhead.",
            "",
            "- Date: \(Date.now.formatted(.iso8601))",
            "- Machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, "
                + "\(ProcessInfo.processInfo.physicalMemory / (1 << 30)) GiB, "
                + "\(ProcessInfo.processInfo.operatingSystemVersionString)",
            "",
        ]
        for section in sections {
            lines += ["## \(section.title)", "", section.description, ""]
            lines += ["| measurement | MemVault | baseline | baseline figure | overhead |", "|---|---:|---|---:|---:|"]
            for row in section.rows {
                lines.append(
                    "| \(row.label) | \(format(row.value)) \(row.unit) | \(row.baselineLabel ?? "–") | "
                        + "\(row.baseline.map { "\(format($0)) \(row.unit)" } ?? "–") | \(row.ratioText) |")
            }
            if !section.notes.isEmpty {
                lines.append("")
                lines += section.notes.map { "- \($0)" }
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
