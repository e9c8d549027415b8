import Foundation

/// How a cube's text is turned into search terms. Chosen when the cube is created, kept in its sealed metadata,
/// and applied the same way to its memories and to every query over it.
public struct TextAnalysis: Sendable, Hashable, Codable {
    /// English suffix stripping (Porter): `hiking` and `hiked` both match `hike`.
    public var stemming: Bool
    /// Leaves out common English words (`the`, `was`, …), which say little about which memory is meant.
    public var stopWords: Bool
    /// Whether the cube's memories are indexed for search at all. A cube that is never searched (binary
    /// activations, or data whose owner wants no blind terms stored) keeps no index entries.
    public var indexed: Bool

    public init(stemming: Bool = true, stopWords: Bool = true, indexed: Bool = true) {
        self.stemming = stemming
        self.stopWords = stopWords
        self.indexed = indexed
    }

    /// What new cubes get unless they ask otherwise (chosen on the LoCoMo dev file; docs/search.md).
    public static let standard = TextAnalysis()
    /// Folding and word splitting only: for text that is not English.
    public static let plain = TextAnalysis(stemming: false, stopWords: false)
    /// No search index for the cube.
    public static let unindexed = TextAnalysis(stemming: false, stopWords: false, indexed: false)
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
        words(text).compactMap(term(forWord:))
    }

    /// The folded words of `text` (and single CJK characters), before stop words and stemming: what the indexer
    /// remembers per batch, since each distinct word needs analysing and hashing once.
    func words(_ text: String) -> [String] {
        text.utf8.allSatisfy { $0 < 0x80 } ? asciiWords(text) : unicodeWords(text)
    }

    /// A folded word's term: nil for a stop word, else the word or its stem.
    func term(forWord word: String) -> String? {
        if analysis.stopWords, StopWords.english.contains(word) { return nil }
        guard analysis.stemming, let stem = PorterStemmer.stem(Array(word.utf8)) else { return word }
        return String(decoding: stem, as: UTF8.self)
    }

    /// The common case, on bytes: for ASCII text, folding is lowercasing and letters and digits are the word
    /// characters, exactly as the Unicode path would decide (a test holds the two paths equal).
    func asciiWords(_ text: String) -> [String] {
        var words: [String] = []
        var word: [UInt8] = []
        word.reserveCapacity(Self.maximumTermLength)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                if word.count < Self.maximumTermLength { word.append(byte | 0x20) }
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if word.count < Self.maximumTermLength { word.append(byte) }
            default:
                if !word.isEmpty {
                    words.append(String(decoding: word, as: UTF8.self))
                    word.removeAll(keepingCapacity: true)
                }
            }
        }
        if !word.isEmpty { words.append(String(decoding: word, as: UTF8.self)) }
        return words
    }

    func unicodeWords(_ text: String) -> [String] {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        func endWord() {
            guard !word.isEmpty else { return }
            words.append(String(word))
            word.removeAll(keepingCapacity: true)
        }
        for scalar in Self.fold(text).unicodeScalars {
            if Self.isIdeographic(scalar) {
                endWord()
                words.append(String(scalar))
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                if word.count < Self.maximumTermLength { word.append(scalar) }
            } else if scalar.properties.generalCategory == .nonspacingMark {
                continue  // a combining mark the folding left behind belongs to its letter
            } else {
                endWord()
            }
        }
        endWord()
        return words
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
