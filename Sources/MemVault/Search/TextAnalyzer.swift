import Foundation

/// How a cube's text is turned into search terms. Chosen when the cube is created, kept in its sealed metadata,
/// and applied the same way to its memories and to every query over it.
public struct TextAnalysis: Sendable, Hashable, Codable {
    /// English suffix stripping (Porter): `hiking` and `hiked` both match `hike`.
    public var stemming: Bool
    /// Leaves out common English words (`the`, `was`, …), which say little about which memory is meant.
    public var stopWords: Bool

    public init(stemming: Bool = true, stopWords: Bool = true) {
        self.stemming = stemming
        self.stopWords = stopWords
    }

    /// What new cubes get unless they ask otherwise (chosen on the LoCoMo dev file; docs/search.md).
    public static let standard = TextAnalysis()
    /// Folding and word splitting only: for text that is not English.
    public static let plain = TextAnalysis(stemming: false, stopWords: false)
}

/// Splits text into search terms: Unicode case and diacritic folding, words of letters and digits for alphabetic
/// scripts, one term per character for CJK ideographs, kana and hangul (which are written without spaces), then
/// optional stop-word removal and stemming. The same analysis runs on memories and on queries, so a term matches
/// exactly when its folded, stemmed form is equal.
public struct TextAnalyzer: Sendable {
    public let analysis: TextAnalysis
    /// Longer runs are cut: a term this long is noise (a hash, a pasted blob), and it bounds the work per term.
    static let maximumTermLength = 64

    public init(_ analysis: TextAnalysis) {
        self.analysis = analysis
    }

    public func terms(_ text: String) -> [String] {
        var terms: [String] = []
        var word = String.UnicodeScalarView()
        func endWord() {
            guard !word.isEmpty else { return }
            add(String(word), to: &terms)
            word.removeAll(keepingCapacity: true)
        }
        for scalar in Self.fold(text).unicodeScalars {
            if Self.isIdeographic(scalar) {
                endWord()
                terms.append(String(scalar))
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                if word.count < Self.maximumTermLength { word.append(scalar) }
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue  // a combining mark the folding left behind belongs to its letter
            } else {
                endWord()
            }
        }
        endWord()
        return terms
    }

    private func add(_ word: String, to terms: inout [String]) {
        if analysis.stopWords, StopWords.english.contains(word) { return }
        terms.append(analysis.stemming ? PorterStemmer.stem(word) : word)
    }

    /// Case and diacritics folded (`Élan` → `elan`, `STRASSE` and `straße` alike), compatibility forms unified
    /// (full-width letters, ligatures).
    static func fold(_ text: String) -> String {
        text.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .lowercased()
    }

    /// Scripts written without spaces between words: each character is a term.
    static func isIdeographic(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF,  // hiragana, katakana
            0x3400...0x4DBF,  // CJK extension A
            0x4E00...0x9FFF,  // CJK unified ideographs
            0xAC00...0xD7AF,  // hangul syllables
            0xF900...0xFAFF,  // CJK compatibility ideographs
            0x20000...0x2FA1F:  // CJK extensions B–F, compatibility supplement
            true
        default: false
        }
    }
}
