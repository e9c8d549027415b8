import Foundation
import MemVault
import Testing

@testable import MemVaultEmbedding

@Suite("all-MiniLM-L6-v2 against the reference implementation")
struct MiniLMReferenceTests {
    let reference = Reference.shared

    @Test("the reference was made with the files the embedder checks for")
    func checksums() {
        #expect(MiniLMEmbedder.expectedSHA256["model.safetensors"] == reference.modelSafetensorsSha256)
        #expect(MiniLMEmbedder.expectedSHA256["vocab.txt"] == reference.vocabTxtSha256)
    }

    @Test("every token id of all 64 sentences, and every piece count before truncation, is the reference's")
    func tokenIDs() throws {
        let tokenizer = try ModelUnderTest.embedder().tokenizer
        #expect(reference.sentences.count == 64)
        for sentence in reference.sentences {
            #expect(tokenizer.tokenIDs(sentence.text) == sentence.tokenIds, "\(sentence.text.debugDescription)")
            #expect(
                tokenizer.pieceIDs(sentence.text).count == sentence.nWordpiecesBeforeTruncation,
                "\(sentence.text.debugDescription)")
        }
        #expect(reference.sentences.contains { $0.tokenIds.count == WordPieceTokenizer.maximumTokens })
    }

    @Test("the hidden states after the embeddings and each layer follow the reference's trace")
    func trace() throws {
        let trace = reference.trace
        let encoder = try ModelUnderTest.embedder().encoder
        let states = encoder.hiddenStates(trace.tokenIds)
        #expect(states.count == 7)
        for (state, expected) in zip(states, [trace.embeddingsLayernorm] + trace.layers) {
            for (token, key) in ["tok0", "tok1"].enumerated() {
                let values = Array(state.values[(token * 384)..<(token * 384 + 8)])
                let wanted = try #require(expected[key])
                #expect(maximumDifference(values, wanted) <= 2e-5, "\(key): \(values) vs \(wanted)")
            }
        }
    }

    @Test("every component of all 64 embeddings within 2e-5, in one batch and one by one")
    func embeddings() async throws {
        let embedder = try ModelUnderTest.embedder()
        let texts = reference.sentences.map(\.text)
        let batched = try await embedder.embed(texts)
        #expect(batched.count == texts.count)
        for (sentence, vector) in zip(reference.sentences, batched) {
            #expect(vector.count == 384)
            #expect(maximumDifference(vector, sentence.embedding) <= 2e-5, "\(sentence.text.debugDescription)")
            #expect(cosine(vector, sentence.embedding) >= 0.99999)
        }
        for (index, text) in texts.enumerated() where index % 8 == 0 {
            let alone = try await embedder.embed([text])
            #expect(maximumDifference(alone[0], batched[index]) <= 1e-5, "batching changed \(text.debugDescription)")
        }
    }

    @Test("no texts, no vectors")
    func empty() async throws {
        #expect(try await ModelUnderTest.embedder().embed([]).isEmpty)
    }

    private func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norms =
            a.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
            * b.reduce(0.0) { $0 + Double($1 * $1) }
            .squareRoot()
        return dot / norms
    }
}
