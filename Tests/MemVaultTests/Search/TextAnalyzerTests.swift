import Foundation
import Testing

@testable import MemVault

@Suite("Text analysis")
struct TextAnalyzerTests {
    let plain = TextAnalyzer(.plain)
    let standard = TextAnalyzer(.standard)

    @Test("case and diacritics fold; words split on anything that is not a letter or digit")
    func folding() {
        #expect(plain.terms("Élan CAFÉ naïve, Straße!") == ["elan", "cafe", "naive", "strasse"])
        #expect(plain.terms("e\u{301}cole") == ["ecole"], "a combining accent folds like a precomposed one")
        #expect(plain.terms("Ｆｕｌｌ－ｗｉｄｔｈ ﬁne") == ["full", "width", "fine"])
        #expect(plain.terms("it's 3:45pm on 2023-05-08") == ["it", "s", "3", "45pm", "on", "2023", "05", "08"])
        #expect(plain.terms("Ωμέγα ΣΟΦΙΑ") == ["ωμεγα", "σοφια"])
        #expect(plain.terms("  \n\t ") == [])
    }

    @Test("CJK ideographs, kana and hangul are one term per character; Latin words beside them stay whole")
    func cjk() {
        #expect(plain.terms("東京タワーへ行った") == ["東", "京", "タ", "ワ", "ー", "へ", "行", "っ", "た"])
        #expect(plain.terms("我喜欢Swift编程") == ["我", "喜", "欢", "swift", "编", "程"])
        #expect(plain.terms("서울 여행") == ["서", "울", "여", "행"])
    }

    @Test("English stemming and stop words are options, applied after folding")
    func options() {
        #expect(standard.terms("The Hiking trips were AMAZING") == ["hike", "trip", "amaz"])
        #expect(TextAnalyzer(TextAnalysis(stemming: true, stopWords: false)).terms("the trips") == ["the", "trip"])
        #expect(TextAnalyzer(TextAnalysis(stemming: false, stopWords: true)).terms("the trips") == ["trips"])
        // Stemming leaves what it does not know alone: digits, other scripts.
        #expect(standard.terms("2023 東京 ωμεγα") == ["2023", "東", "京", "ωμεγα"])
    }

    @Test("the ASCII fast path splits, folds, stems and cuts exactly as the Unicode path does")
    func asciiPathAgrees() {
        var generator = SeededGenerator(seed: 9)
        let alphabet = Array("abcXYZ019 -_.,'!?\t\nSsEeDdIiNnGg")
        for analysis in [TextAnalysis.plain, .standard] {
            let analyzer = TextAnalyzer(analysis)
            for _ in 0..<2_000 {
                let length = Int(generator.next() % 120)
                var text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
                if generator.next() % 10 == 0 { text += String(repeating: "q", count: 70) + " the running" }
                #expect(analyzer.asciiWords(text) == analyzer.unicodeWords(text), "\(text)")
            }
        }
    }

    @Test("an overlong run of letters is cut, so one term stays bounded")
    func longTerms() {
        let terms = plain.terms(String(repeating: "a", count: 10_000) + " b")
        #expect(terms == [String(repeating: "a", count: TextAnalyzer.maximumTermLength), "b"])
    }

    @Test("the Porter stemmer matches the paper's examples")
    func porter() {
        let cases = [
            "caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat", "feed": "feed",
            "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor", "sing": "sing",
            "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop", "tanned": "tan",
            "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail", "filing": "file",
            "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit", "rational": "ration",
            "valenci": "valenc", "digitizer": "digit", "conformabli": "conform", "radicalli": "radic",
            "differentli": "differ", "vileli": "vile", "analogousli": "analog", "vietnamization": "vietnam",
            "predication": "predic", "operator": "oper", "feudalism": "feudal", "decisiveness": "decis",
            "hopefulness": "hope", "callousness": "callous", "formaliti": "formal", "sensitiviti": "sensit",
            "sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form", "formalize": "formal",
            "electriciti": "electr", "electrical": "electr", "hopeful": "hope", "goodness": "good",
            "revival": "reviv", "allowance": "allow", "inference": "infer", "airliner": "airlin",
            "gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens", "irritant": "irrit",
            "replacement": "replac", "adjustment": "adjust", "dependent": "depend", "adoption": "adopt",
            "homologou": "homolog", "communism": "commun", "activate": "activ", "angulariti": "angular",
            "homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler", "probate": "probat",
            "rate": "rate", "cease": "ceas", "controll": "control", "roll": "roll", "generalizations": "gener",
            "oscillators": "oscil", "connections": "connect", "connected": "connect", "connecting": "connect",
        ]
        for (word, stem) in cases {
            #expect(PorterStemmer.stem(word) == stem, "\(word)")
        }
        #expect(PorterStemmer.stem("at") == "at", "words of two letters are left alone")
        #expect(PorterStemmer.stem("naïve") == "naïve", "only lowercase ASCII is stemmed")
    }
}

@Suite("Indexed day text")
struct DayTextTests {
    @Test("the day an indexed memory happened on matches the Gregorian calendar, before and after 1970")
    func days() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let months = [
            "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
            "november", "december",
        ]
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<5_000 {
            // 1600 to 2400, to the millisecond.
            let milliseconds = Int64(generator.next() % 25_246_080_000_000) - 11_676_096_000_000
            let parts = calendar.dateComponents([.day, .month, .year], from: StoredTime(milliseconds).date)
            let expected = "\(parts.day!) \(months[parts.month! - 1]) \(parts.year!)"
            #expect(IndexedDocument.dayText(milliseconds) == expected, "\(milliseconds)")
        }
        #expect(IndexedDocument.dayText(1_683_504_000_000) == "8 may 2023")
    }
}
