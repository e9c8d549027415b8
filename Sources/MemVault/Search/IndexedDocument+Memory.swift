import Foundation

extension IndexedDocument {
    /// A memory version's entry: its text content analysed as its cube asks, with the day it happened on
    /// (`8 may 2023`, so a question naming the date finds it), and its tags, each turned blind under `key`.
    /// Binary content contributes no terms; its tags still filter.
    init(
        memory: MemoryID, payload: MemoryPayload, occurredAt: StoredTime?, analyzer: TextAnalyzer, key: BlindIndexKey
    ) throws {
        var terms: [String] = []
        if case .text(let text) = payload.content { terms = analyzer.terms(text) }
        if let occurredAt { terms += analyzer.terms(Self.dayText(occurredAt)) }
        self.init(
            memory: memory, terms: try terms.map(key.term),
            labels: try Set(payload.tags.map(Self.foldTag)).sorted().map(key.label))
    }

    /// Tags match whatever their case and accents: `Travel`, `travel` and `TRAVEL` are one tag.
    static func foldTag(_ tag: String) -> String { TextAnalyzer.fold(tag) }

    /// The calendar day in UTC, spelled as people write it: day number, English month name, year.
    static func dayText(_ time: StoredTime) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.day, .month, .year], from: time.date)
        return "\(parts.day ?? 1) \(monthNames[(parts.month ?? 1) - 1]) \(parts.year ?? 1970)"
    }

    private static let monthNames = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
        "december",
    ]
}
