import Foundation
import MemVault
import MemVaultInterop
import MemVaultPolicy

/// Export and import throughput of portable cubes (issue 14), in memories per second: a sealed bundle out of one
/// tenant and into another, a MemOS dump into a tenant, and a subject's access export. Baselines in the same run,
/// on the same memories: reading the cube page by page through the library (what an export must at least do:
/// open and decide every memory) and adding the memories in batches of 1,000 (what an import must at least do:
/// seal, index and commit them).
struct PortabilityScenario: Scenario {
    let name = "Portability throughput"
    let policies: URL
    let memories: Int
    let rounds: Int

    func run() async throws -> ReportSection {
        let bench = try await BenchInstallation.make("portability", policies: policies)
        defer { Task { try? await bench.close() } }
        let store = bench.store
        try await store.createTenant(
            TenantID("receiver"), as: AccessContext(actor: "bench-admin", role: .administrator))
        let administrator = AccessContext(actor: "bench-admin", role: .administrator, purpose: "service-delivery")
        let officer = AccessContext(actor: "bench-dpo", role: .dataProtectionOfficer, purpose: "data-subject-rights")
        let source = try await store.tenant(TenantID("bench"), as: administrator)
        let receiver = try await store.tenant(TenantID("receiver"), as: administrator)
        let receiverApp = try await store.tenant(
            TenantID("receiver"), as: AccessContext(actor: "bench", role: .application, purpose: "service-delivery"))
        let subject = try await bench.tenant.resolveSubject(externalID: "portable-user").id
        try await bench.tenant.setConsent(.given, subject: subject, purpose: "service-delivery")
        let dimension = 384
        let cube = try await bench.tenant.createCube(
            NewCube(
                owner: .subject(subject), name: "history", defaultCategory: "conversation",
                embeddingDimension: dimension)
        ).id
        var corpus = SyntheticText(seed: 14)
        var random = SplitMix(state: 14)
        let drafts = (0..<memories).map { _ in
            NewMemory(
                content: .text(corpus.text()), tags: ["bench"],
                embedding: (0..<dimension).map { _ in Float(Int(random.next() % 2_001) - 1_000) / 1_000 })
        }
        var ids: [MemoryID] = []
        for batch in stride(from: 0, to: drafts.count, by: 1_000) {
            ids += try await bench.tenant.addMemories(Array(drafts[batch..<min(batch + 1_000, drafts.count)]), to: cube)
                .map(\.id)
        }
        // One memory in ten has a second version.
        for id in ids.enumerated().filter({ $0.offset % 10 == 0 }).map(\.element) {
            _ = try await bench.tenant.updateMemory(id, MemoryChanges(tags: ["bench", "updated"]))
        }
        let recipient = try receiver.portabilityKeys().recipient
        let officerStore = try await store.tenant(TenantID("bench"), as: officer)

        var exportRates: [Double] = []
        var readRates: [Double] = []
        var importRates: [Double] = []
        var addRates: [Double] = []
        var memosRates: [Double] = []
        var subjectRates: [Double] = []
        var bundleBytes = 0
        for round in 0..<rounds {
            var bundle: ExportedBundle?
            exportRates.append(
                Double(memories) / (try await seconds { bundle = try await source.exportBundle(cube, to: recipient) }))
            bundleBytes = bundle?.bytes.count ?? 0
            readRates.append(
                Double(memories)
                    / (try await seconds {
                        var cursor: String?
                        repeat {
                            let page = try await bench.tenant.memories(in: .cube(cube), after: cursor, limit: 1_000)
                            cursor = page.nextCursor
                        } while cursor != nil
                    }))
            // Each round imports into a tenant of its own: memory ids are kept, so a second import would conflict.
            let into =
                round == 0
                ? receiver : try await freshReceiver(store, round: round, bundle: &bundle, source: source, cube: cube)
            importRates.append(
                Double(memories) / (try await seconds { _ = try await into.importBundle(bundle!.bytes) }))
            let target = try await receiverApp.createCube(
                NewCube(owner: .tenant, name: "baseline \(round)", embeddingDimension: dimension))
            addRates.append(
                Double(memories)
                    / (try await seconds {
                        for batch in stride(from: 0, to: drafts.count, by: 1_000) {
                            _ = try await receiverApp.addMemories(
                                Array(drafts[batch..<min(batch + 1_000, drafts.count)]), to: target.id)
                        }
                    }))
            // A MemOS dump of the same cube, read and imported (the officer writes it: plaintext is an export).
            let dump = try await officerStore.exportCube(
                cube, as: Transfer(.outbound, format: "memos-dump", platform: "memos"))
            let folder = bench.folder.appending(path: "memos-\(round)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (file, bytes) in try MemOSDump.files(for: dump.cube) {
                try Data(bytes).write(to: folder.appending(path: file))
            }
            memosRates.append(
                Double(memories)
                    / (try await seconds {
                        let reading = try MemOSDump.read(
                            folder: folder, category: "conversation", subject: nil, maximumBytes: 1 << 30)
                        _ = try await receiver.importCubes(
                            reading.cubes.map { ($0, try PortableCube.contentHash($0)) },
                            as: Transfer(.inbound, format: "memos-dump", platform: "memos"))
                    }))
            subjectRates.append(
                Double(memories) / (try await seconds { _ = try await officerStore.exportSubject(subject) }))
        }
        let read = median(readRates)
        let add = median(addRates)
        return ReportSection(
            title: name,
            description: """
                One subject's cube of \(memories.formatted()) memories (10 to 40 words each, a \(dimension)-dimension \
                embedding each, one in ten with a second version), \(rounds) rounds, medians. A bundle is exported \
                (read, decided, encoded, sealed to the receiving tenant and signed) and imported into another tenant \
                (verified, opened, every version decided, sealed, indexed and committed in one unit of work); a \
                MemOS dump of the cube is read and imported; the subject's access export gathers everything of the \
                subject. Baselines on the same memories in the same run: listing the cube page by page (open and \
                decide each memory) for exports, adding them in batches of 1,000 for imports. Bundle size: \
                \(bundleBytes.formatted()) bytes.
                """,
            rows: [
                Measurement(
                    label: "export a sealed bundle", value: median(exportRates), unit: "memories/s",
                    baselineLabel: "list the cube", baseline: read, higherIsBetter: true),
                Measurement(
                    label: "subject access export", value: median(subjectRates), unit: "memories/s",
                    baselineLabel: "list the cube", baseline: read, higherIsBetter: true),
                Measurement(
                    label: "import a sealed bundle", value: median(importRates), unit: "memories/s",
                    baselineLabel: "add in batches of 1,000", baseline: add, higherIsBetter: true),
                Measurement(
                    label: "import a MemOS dump", value: median(memosRates), unit: "memories/s",
                    baselineLabel: "add in batches of 1,000", baseline: add, higherIsBetter: true),
            ])
    }

    /// Another receiving tenant, with the bundle sealed to it.
    private func freshReceiver(
        _ store: MemoryStore, round: Int, bundle: inout ExportedBundle?, source: TenantStore, cube: CubeID
    ) async throws -> TenantStore {
        let id = try TenantID("receiver\(round)")
        try await store.createTenant(id, as: AccessContext(actor: "bench-admin", role: .administrator))
        let tenant = try await store.tenant(
            id, as: AccessContext(actor: "bench-admin", role: .administrator, purpose: "service-delivery"))
        bundle = try await source.exportBundle(cube, to: try tenant.portabilityKeys().recipient)
        return tenant
    }

    private func seconds(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        return (ContinuousClock.now - start).seconds
    }
}
