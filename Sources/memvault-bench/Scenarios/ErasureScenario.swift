import Foundation
import MemVault
import MemVaultPolicy

/// Issue 11: how long a right-to-be-forgotten request takes. A tenant holds two subjects with 10,000 memories each
/// (indexed, with 16-dimensional embeddings, consent recorded); the data-protection officer files a request for one
/// and runs it to its signed receipt: every memory verified, decided and deleted with its index entry and embedding
/// in recorded batches of 500, the cube, consent and identity removed, the subject's keys destroyed, the files
/// cleaned (index merged, database rebuilt, WAL truncated), the completion recorded, a checkpoint signed and the
/// receipt issued. The baseline deletes the subject's 10,000 plaintext rows of the same shape in one statement.
struct ErasureScenario: Scenario {
    let policies: URL
    let rounds: Int
    let name = "erasure"
    let count = 10_000

    struct Timings {
        var total: Double = 0
        var memories: Double = 0
        var cleaning: Double = 0
    }

    func run() async throws -> ReportSection {
        var erased: [Timings] = []
        var plain: [Double] = []
        for _ in 0..<rounds {
            erased.append(try await erase())
            plain.append(try await plainDelete())
        }
        let baseline = median(plain)
        func row(_ label: String, _ values: [Double]) -> Measurement {
            Measurement(
                label: label, value: median(values), unit: "s",
                baselineLabel: "plain SQLite DELETE of the subject's rows",
                baseline: baseline, higherIsBetter: false)
        }
        return ReportSection(
            title: "Erasing a subject",
            description: """
                A tenant with two subjects of 10,000 memories each (indexed, 16-dimensional embeddings, consent \
                recorded). The data-protection officer files an erasure request for one and runs it to its signed \
                receipt: each memory verified and decided as an erasure, deleted with its history, index entry and \
                embedding in recorded batches of 500; the cube, consent records and identity removed; the subject's \
                data keys destroyed; the files cleaned (index segments merged, the database rebuilt by VACUUM, the \
                WAL truncated); the completion recorded, a checkpoint signed and the receipt issued. The baseline \
                deletes the subject's 10,000 plaintext rows of the same shape in one statement, secure_delete on. \
                For scale: MemOS took 142 s for 793 memories (issue 11).
                """,
            rows: [
                row("erase a subject with \(count) memories, request to signed receipt", erased.map(\.total)),
                row("of which deciding and deleting the memories", erased.map(\.memories)),
                row(
                    "of which cleaning the files (merge, VACUUM, checkpoint) and issuing the receipt",
                    erased.map(\.cleaning)),
            ],
            notes: ["Median of \(rounds) rounds, MemVault and the baseline alternating. Aim: under 1 s."])
    }

    private func erase() async throws -> Timings {
        let bench = try await BenchInstallation.make("erasure", policies: policies)
        let tenant = bench.tenant
        let officer = try await bench.store.tenant(
            tenant.tenant,
            as: AccessContext(actor: "bench-dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights"))
        var subjects: [SubjectID] = []
        for name in ["erased-user", "kept-user"] {
            let subject = try await tenant.resolveSubject(externalID: name).id
            subjects.append(subject)
            try await officer.setConsent(.given, subject: subject, purpose: "personalisation", evidence: "bench")
            let cube = try await tenant.createCube(
                NewCube(owner: .subject(subject), name: name, defaultCategory: "conversation", embeddingDimension: 16))
            let sample = Sample()
            for _ in 0..<(count / 500) {
                _ = try await tenant.addMemories(
                    (0..<500).map { _ in
                        var memory = sample.next()
                        memory.category = nil
                        memory.embedding = (0..<16).map { _ in Float.random(in: -1...1) }
                        return memory
                    }, to: cube.id)
            }
        }
        _ = try await tenant.search(SearchQuery("trip", in: .subject(subjects[0])))
        var marks: [ErasureRequest.Step: ContinuousClock.Instant] = [:]
        let start = ContinuousClock.now
        let request = try await officer.requestErasure(
            of: subjects[0], requester: .dataSubject, ground: .consentWithdrawn)
        let done = try await officer.runErasure(request.id) { progress in
            if marks[progress.step] == nil { marks[progress.step] = .now }
        }
        let end = ContinuousClock.now
        try await bench.close()
        guard done.state == .completed, done.erasedTotal == count else {
            throw ScenarioFailure(
                "the erasure ended \(done.state.rawValue) with \(done.erasedTotal) of \(count) erased")
        }
        guard let subjectRecords = marks[.subjectRecords], let receipt = marks[.receipt], let issued = marks[.done]
        else { throw ScenarioFailure("the erasure did not report every step") }
        return Timings(
            total: (end - start).seconds, memories: (subjectRecords - start).seconds,
            cleaning: (issued - receipt).seconds)
    }

    private func plainDelete() async throws -> Double {
        let folder = FileManager.default.temporaryDirectory.appending(path: "memvault-bench-plain-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try PlainBaseline(path: folder.appending(path: "plain.sqlite").path)
        let sample = Sample()
        for subject in ["erased-user", "kept-user"] {
            for _ in 0..<(count / 500) {
                try await plain.insert((0..<500).map { _ in sample.next() }, cube: "cube-\(subject)", subject: subject)
            }
        }
        let start = ContinuousClock.now
        let deleted = try plain.deleteSubject("erased-user")
        let seconds = (ContinuousClock.now - start).seconds
        try plain.close()
        guard deleted == count else { throw ScenarioFailure("deleted \(deleted) of \(count)") }
        return seconds
    }
}
