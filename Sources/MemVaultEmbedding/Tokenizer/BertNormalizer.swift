import Foundation

/// BERT's uncased text normalisation and pre-tokenisation, in the order Hugging Face `tokenizers` applies them
/// (`BertNormalizer`, then `BertPreTokenizer`): the WordPiece vocabulary only matches text prepared exactly so.
enum BertNormalizer {
    /// Drops NUL, U+FFFD and control characters (category C*, except tab, newline and carriage return), maps
    /// white space to a space, puts spaces around CJK ideographs, then decomposes (NFD), drops non-spacing marks
    /// (strips accents) and lowercases character by character, without context (a final sigma stays σ).
    static func normalize(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isCJKIdeograph(scalar) {
                cleaned.append(contentsOf: [" ", scalar, " "])
            } else {
                cleaned.append(scalar)
            }
        }
        var normalized = String.UnicodeScalarView()
        for scalar in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            if scalar.isASCII {
                normalized.append(Unicode.Scalar(UInt8(ascii: scalar).lowercasedASCII))
            } else {
                normalized.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(normalized)
    }

    /// Words of normalised text: split at white space, every punctuation character a word of its own.
    static func words(_ normalized: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var word: [Unicode.Scalar] = []
        for scalar in normalized.unicodeScalars {
            if isWhitespace(scalar) {
                if !word.isEmpty { words.append(word) }
                word.removeAll(keepingCapacity: true)
            } else if isPunctuation(scalar) {
                if !word.isEmpty { words.append(word) }
                word.removeAll(keepingCapacity: true)
                words.append([scalar])
            } else {
                word.append(scalar)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// Unicode White_Space (what Rust's `char::is_whitespace` tests).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation and symbols (BERT counts `$`, `+`, `^`… as punctuation), or Unicode category P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT pads with spaces (not Hiragana, Katakana or Hangul).
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default: false
        }
    }
}

extension UInt8 {
    fileprivate var lowercasedASCII: UInt8 { (0x41...0x5A).contains(self) ? self + 0x20 : self }
}
