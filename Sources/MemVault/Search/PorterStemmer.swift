/// The Porter stemming algorithm for English (M. F. Porter, "An algorithm for suffix stripping", 1980), in its
/// original form: `connections`, `connected` and `connecting` all become `connect`. Works on lowercase ASCII
/// words; anything else is returned unchanged, since the rules only know English letters. Runs on bytes, with the
/// rule tables built once: it is on the path of every indexed word.
enum PorterStemmer {
    static func stem(_ word: String) -> String {
        let bytes = Array(word.utf8)
        guard let stemmed = stem(bytes) else { return word }
        return String(decoding: stemmed, as: UTF8.self)
    }

    /// The stem of a lowercase ASCII word, or nil if the word is left as it is (too short, or not lowercase ASCII).
    static func stem(_ letters: [UInt8]) -> [UInt8]? {
        guard letters.count > 2, letters.allSatisfy({ $0 >= a && $0 <= z }) else { return nil }
        var word = Word(letters)
        word.step1a()
        word.step1b()
        word.step1c()
        word.apply(step2Rules, minimumMeasure: 0)
        word.apply(step3Rules, minimumMeasure: 0)
        word.step4()
        word.step5()
        return word.letters
    }

    private static let a = UInt8(ascii: "a")
    private static let z = UInt8(ascii: "z")

    private typealias Rule = (suffix: [UInt8], replacement: [UInt8])

    private static func rules(_ pairs: [(String, String)]) -> [Rule] {
        pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) }
    }

    private static let step2Rules = rules([
        ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("abli", "able"),
        ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"),
        ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
        ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
    ])
    private static let step3Rules = rules([
        ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
    ])
    /// Longest first, as the paper's table is read.
    private static let step4Suffixes: [[UInt8]] = [
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism", "ate",
        "iti", "ous", "ive", "ize",
    ].sorted { $0.utf8.count > $1.utf8.count }.map { Array($0.utf8) }

    private struct Word {
        var letters: [UInt8]

        init(_ letters: [UInt8]) { self.letters = letters }

        private static let vowels: Set<UInt8> = Set("aeiou".utf8)

        /// Whether the letter at `index` is a consonant (`y` is one after a vowel or at the start).
        private func isConsonant(_ index: Int) -> Bool {
            let letter = letters[index]
            if Self.vowels.contains(letter) { return false }
            if letter == UInt8(ascii: "y") { return index == 0 || !isConsonant(index - 1) }
            return true
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

        private func ends(_ suffix: [UInt8]) -> Bool {
            guard letters.count >= suffix.count else { return false }
            var index = letters.count - suffix.count
            for letter in suffix {
                guard letters[index] == letter else { return false }
                index += 1
            }
            return true
        }

        private func ends(_ suffix: StaticString) -> Bool {
            suffix.withUTF8Buffer { suffix in
                guard letters.count >= suffix.count else { return false }
                return zip(letters[(letters.count - suffix.count)...], suffix).allSatisfy { $0 == $1 }
            }
        }

        private mutating func replaceSuffix(_ count: Int, with replacement: [UInt8]) {
            letters.removeLast(count)
            letters.append(contentsOf: replacement)
        }

        /// Replaces the first matching suffix whose stem has measure above `minimumMeasure` (the rules of a step
        /// stop at the first suffix that matches, replaced or not).
        mutating func apply(_ rules: [Rule], minimumMeasure: Int) {
            for rule in rules where ends(rule.suffix) {
                if measure(letters.count - rule.suffix.count) > minimumMeasure {
                    replaceSuffix(rule.suffix.count, with: rule.replacement)
                }
                return
            }
        }

        mutating func step1a() {
            if ends("sses") || ends("ies") {
                letters.removeLast(2)
            } else if !ends("ss"), ends("s") {
                letters.removeLast()
            }
        }

        mutating func step1b() {
            if ends("eed") {
                if measure(letters.count - 3) > 0 { letters.removeLast() }
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
            } else if endsWithDoubleConsonant(letters.count), !(ends("l") || ends("s") || ends("z")) {
                letters.removeLast()
            } else if measure(letters.count) == 1, endsCVC(letters.count) {
                letters.append(UInt8(ascii: "e"))
            }
        }

        mutating func step1c() {
            if ends("y"), containsVowel(letters.count - 1) { letters[letters.count - 1] = UInt8(ascii: "i") }
        }

        mutating func step4() {
            for suffix in PorterStemmer.step4Suffixes where ends(suffix) {
                let stemLength = letters.count - suffix.count
                guard measure(stemLength) > 1 else { return }
                if suffix == Array("ion".utf8) {
                    guard stemLength > 0,
                        letters[stemLength - 1] == UInt8(ascii: "s") || letters[stemLength - 1] == UInt8(ascii: "t")
                    else { return }
                }
                letters.removeLast(suffix.count)
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
