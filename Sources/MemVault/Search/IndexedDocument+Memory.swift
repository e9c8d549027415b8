import Foundation

extension IndexedDocument {
    /// A memory version's entry: its text content analysed as its cube asks, with the day it happened on
    /// (`8 may 2023`, so a question naming the date finds it), and its tags, each turned blind under `key`.
    /// Binary content contributes no terms; its tags still filter. `words` remembers, for the batch being indexed,
    /// each folded word's blind term (nil for a stop word): a word repeated across memories is analysed and hashed
    /// once, and every other occurrence costs one lookup.
    init(
        memory: MemoryID, payload: MemoryPayload, occurredAt: StoredTime?, analyzer: TextAnalyzer, key: BlindIndexKey,
        words known: inout [String: String?], labels knownLabels: inout [String: String]
    ) throws {
        var words: [String] = []
        if case .text(let text) = payload.content { words = analyzer.words(text) }
        if let occurredAt { words += analyzer.words(Self.dayText(occurredAt)) }
        var unknown: [(word: String, term: String)] = []
        for word in words where known[word] == nil {
            // Stop words stay nil; other words get their blind term below (nil meanwhile dedupes them).
            known[word] = .some(nil)
            if let term = analyzer.term(forWord: word) { unknown.append((word, term)) }
        }
        for (entry, blind) in zip(unknown, try key.terms(unknown.map(\.term))) { known[entry.word] = blind }
        let labels = try Set(payload.tags).map { tag in
            if let label = knownLabels[tag] { return label }
            let label = try key.label(Self.foldTag(tag))
            knownLabels[tag] = label
            return label
        }
        self.init(memory: memory, terms: words.compactMap { known[$0] ?? nil }, labels: Array(Set(labels)).sorted())
    }

    /// Tags match whatever their case and accents: `Travel`, `travel` and `TRAVEL` are one tag.
    static func foldTag(_ tag: String) -> String {
        tag.utf8.allSatisfy { $0 < 0x80 } ? tag.lowercased() : TextAnalyzer.fold(tag)
    }

    /// The calendar day in UTC, spelled as people write it: day number, English month name, year. Proleptic
    /// Gregorian arithmetic (H. Hinnant's days-to-civil), with no calendar object per memory.
    static func dayText(_ time: StoredTime) -> String {
        let days = Int64((Double(time) / 86_400_000).rounded(.down)) + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return "\(day) \(monthNames[Int(month) - 1]) \(year)"
    }

    private static let monthNames = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
        "december",
    ]
}
