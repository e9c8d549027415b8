import MemVault

/// BERT's WordPiece tokenizer over the uncased vocabulary: normalised words split greedily into the longest pieces
/// the vocabulary has (continuations prefixed `##`); a word with a part no piece matches, or over 100 characters,
/// becomes `[UNK]`. Sequences are `[CLS]` + pieces + `[SEP]`, at most `maximumTokens` long.
struct WordPieceTokenizer: Sendable {
    static let unknownID: Int32 = 100
    static let classifierID: Int32 = 101
    static let separatorID: Int32 = 102
    /// all-MiniLM-L6-v2's maximum sequence length.
    static let maximumTokens = 256
    static let maximumWordLength = 100

    private let vocabulary: [String: Int32]

    /// The vocabulary, one token per line, its id the line's index (`vocab.txt`).
    init(vocabulary text: String) throws {
        var vocabulary: [String: Int32] = [:]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for (index, line) in lines.enumerated() where vocabulary[String(line)] == nil {
            vocabulary[String(line)] = Int32(index)
        }
        for (token, id) in [("[UNK]", Self.unknownID), ("[CLS]", Self.classifierID), ("[SEP]", Self.separatorID)]
        where vocabulary[token] != id {
            throw MemVaultError(
                .embedderUnavailable, "vocab.txt is not BERT's uncased vocabulary: \(token) is not token \(id)")
        }
        self.vocabulary = vocabulary
    }

    var count: Int { vocabulary.count }

    /// The model's input for `text`: `[CLS]`, the first 254 pieces, `[SEP]`.
    func tokenIDs(_ text: String) -> [Int32] {
        [Self.classifierID] + pieceIDs(text).prefix(Self.maximumTokens - 2) + [Self.separatorID]
    }

    /// Every WordPiece id of `text`, without special tokens or truncation.
    func pieceIDs(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for word in BertNormalizer.words(BertNormalizer.normalize(text)) { pieces(of: word, into: &ids) }
        return ids
    }

    private func pieces(of word: [Unicode.Scalar], into ids: inout [Int32]) {
        guard word.count <= Self.maximumWordLength else {
            ids.append(Self.unknownID)
            return
        }
        let start = ids.count
        var begin = 0
        while begin < word.count {
            var end = word.count
            var found: Int32?
            while begin < end {
                var candidate = begin > 0 ? "##" : ""
                candidate.unicodeScalars.append(contentsOf: word[begin..<end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                ids.removeSubrange(start...)
                ids.append(Self.unknownID)
                return
            }
            ids.append(found)
            begin = end
        }
    }
}
