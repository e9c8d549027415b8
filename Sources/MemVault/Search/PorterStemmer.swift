/// The Porter stemming algorithm for English (M. F. Porter, "An algorithm for suffix stripping", 1980), in its
/// original form: `connections`, `connected` and `connecting` all become `connect`. Works on lowercase ASCII
/// words; anything else is returned unchanged, since the rules only know English letters.
enum PorterStemmer {
    static func stem(_ word: String) -> String {
        guard word.utf8.count > 2, word.utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") })
        else { return word }
        var stemmer = Word(Array(word.utf8))
        stemmer.step1a()
        stemmer.step1b()
        stemmer.step1c()
        stemmer.step2()
        stemmer.step3()
        stemmer.step4()
        stemmer.step5()
        return String(decoding: stemmer.letters, as: UTF8.self)
    }

    private struct Word {
        var letters: [UInt8]

        init(_ letters: [UInt8]) { self.letters = letters }

        /// Whether the letter at `index` is a consonant (`y` is one after a vowel or at the start).
        private func isConsonant(_ index: Int) -> Bool {
            switch letters[index] {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): false
            case UInt8(ascii: "y"): index == 0 || !isConsonant(index - 1)
            default: true
            }
        }

        /// m in the paper: the number of vowel-consonant sequences in the first `length` letters.
        private func measure(_ length: Int) -> Int {
            var count = 0
            var index = 0
            while index < length, isConsonant(index) { index += 1 }
            while index < length {
                while index < length, !isConsonant(index) { index += 1 }
                guard index < length else { break }
                count += 1
                while index < length, isConsonant(index) { index += 1 }
            }
            return count
        }

        private func containsVowel(_ length: Int) -> Bool { (0..<length).contains { !isConsonant($0) } }

        private func endsWithDoubleConsonant(_ length: Int) -> Bool {
            length >= 2 && letters[length - 1] == letters[length - 2] && isConsonant(length - 1)
        }

        /// *o: the stem ends consonant-vowel-consonant, the last not w, x or y.
        private func endsCVC(_ length: Int) -> Bool {
            guard length >= 3, isConsonant(length - 3), !isConsonant(length - 2), isConsonant(length - 1) else {
                return false
            }
            let last = letters[length - 1]
            return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y")
        }

        private func ends(_ suffix: String) -> Bool {
            let suffix = Array(suffix.utf8)
            return letters.count >= suffix.count && letters.suffix(suffix.count).elementsEqual(suffix)
        }

        private mutating func replaceSuffix(_ count: Int, with replacement: String) {
            letters.removeLast(count)
            letters.append(contentsOf: replacement.utf8)
        }

        /// Replaces the first matching suffix whose stem has measure above `minimumMeasure`; true if one matched,
        /// replaced or not (the rules of a step stop at the first suffix that matches).
        @discardableResult
        private mutating func apply(_ rules: [(String, String)], minimumMeasure: Int) -> Bool {
            for (suffix, replacement) in rules where ends(suffix) {
                let stemLength = letters.count - suffix.utf8.count
                if measure(stemLength) > minimumMeasure { replaceSuffix(suffix.utf8.count, with: replacement) }
                return true
            }
            return false
        }

        mutating func step1a() {
            if ends("sses") {
                replaceSuffix(2, with: "")
            } else if ends("ies") {
                replaceSuffix(2, with: "")
            } else if ends("ss") {
                return
            } else if ends("s") {
                replaceSuffix(1, with: "")
            }
        }

        mutating func step1b() {
            if ends("eed") {
                if measure(letters.count - 3) > 0 { replaceSuffix(1, with: "") }
                return
            }
            let suffixLength: Int
            if ends("ed"), containsVowel(letters.count - 2) {
                suffixLength = 2
            } else if ends("ing"), containsVowel(letters.count - 3) {
                suffixLength = 3
            } else {
                return
            }
            letters.removeLast(suffixLength)
            if ends("at") || ends("bl") || ends("iz") {
                letters.append(UInt8(ascii: "e"))
            } else if endsWithDoubleConsonant(letters.count),
                !(ends("l") || ends("s") || ends("z"))
            {
                letters.removeLast()
            } else if measure(letters.count) == 1, endsCVC(letters.count) {
                letters.append(UInt8(ascii: "e"))
            }
        }

        mutating func step1c() {
            if ends("y"), containsVowel(letters.count - 1) { letters[letters.count - 1] = UInt8(ascii: "i") }
        }

        mutating func step2() {
            apply(
                [
                    ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
                    ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
                    ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
                    ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
                ], minimumMeasure: 0)
        }

        mutating func step3() {
            apply(
                [
                    ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""),
                    ("ness", ""),
                ], minimumMeasure: 0)
        }

        mutating func step4() {
            let suffixes = [
                "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism",
                "ate", "iti", "ous", "ive", "ize",
            ]
            // Longest match first, as the paper's table is read.
            for suffix in suffixes.sorted(by: { $0.utf8.count > $1.utf8.count }) where ends(suffix) {
                let stemLength = letters.count - suffix.utf8.count
                guard measure(stemLength) > 1 else { return }
                if suffix == "ion" {
                    guard stemLength > 0,
                        letters[stemLength - 1] == UInt8(ascii: "s") || letters[stemLength - 1] == UInt8(ascii: "t")
                    else { return }
                }
                letters.removeLast(suffix.utf8.count)
                return
            }
        }

        mutating func step5() {
            if ends("e") {
                let stemLength = letters.count - 1
                let measure = measure(stemLength)
                if measure > 1 || (measure == 1 && !endsCVC(stemLength)) { letters.removeLast() }
            }
            if ends("ll"), measure(letters.count) > 1 { letters.removeLast() }
        }
    }
}
