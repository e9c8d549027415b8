/// The background indexer: passes of `TenantStore.embedAwaiting` over every cube of a tenant that names the
/// embedder's model, either once until nothing waits (`sweep`) or for as long as its task runs (`run`), so that the
/// lag between adding a memory and its embedding stays bounded by one interval plus the time to embed what came in.
public struct BackgroundIndexer: Sendable {
    /// What one sweep did to one cube.
    public struct CubeSweep: Sendable, Equatable, Encodable {
        public let cube: CubeID
        public var embedded = 0
        public var withheld = 0
        public var skipped = 0
        /// Left when the sweep finished with the cube (added meanwhile, withheld, or changed while embedded).
        public var awaiting = 0
    }

    public let store: TenantStore
    public let embedder: any Embedder
    /// Memories per pass.
    public let batch: Int
    /// How long `run` waits when nothing is waiting.
    public let interval: Duration
    /// How long `run` leaves alone a cube whose waiting memories the policy withheld, unless its backlog moves:
    /// trying them every interval would record the same denial over and over.
    public let retryWithheldAfter: Duration

    public init(
        store: TenantStore, embedder: any Embedder, batch: Int = 256, interval: Duration = .seconds(2),
        retryWithheldAfter: Duration = .seconds(600)
    ) {
        self.store = store
        self.embedder = embedder
        self.batch = batch
        self.interval = interval
        self.retryWithheldAfter = retryWithheldAfter
    }

    /// Every cube of the tenant that names the embedder's model (or those of them given), each embedded until its
    /// backlog was read to the end. `progress` is told after every pass, with the cube's backlog when it began.
    public func sweep(
        cubes given: [CubeID]? = nil, progress: (CubeSweep, _ awaitingAtStart: Int) -> Void = { _, _ in }
    ) async throws -> [CubeSweep] {
        var sweeps: [CubeSweep] = []
        let backlogs = try await store.awaitingEmbeddings(model: embedder.name)
        for cube in given ?? backlogs.keys.sorted() {
            guard let awaiting = backlogs[cube] else {
                throw MemVaultError(.invalidArgument, "cube \(cube) is not embedded with \(embedder.name)")
            }
            var sweep = CubeSweep(cube: cube)
            guard awaiting > 0 else {
                sweeps.append(sweep)
                continue
            }
            var after: MemoryID?
            repeat {
                try Task.checkCancellation()
                let pass = try await store.embedAwaiting(in: cube, with: embedder, after: after, limit: batch)
                sweep.embedded += pass.embedded
                sweep.withheld += pass.withheld
                sweep.skipped += pass.skipped
                after = pass.next
                progress(sweep, awaiting)
            } while after != nil
            sweeps.append(sweep)
        }
        let left = try await store.awaitingEmbeddings(model: embedder.name)
        return sweeps.map { sweep in
            var sweep = sweep
            sweep.awaiting = left[sweep.cube] ?? 0
            return sweep
        }
    }

    /// Sweeps until the task is cancelled: it polls the backlog's counts (not recorded: counts only) and sweeps the
    /// cubes where memories wait, waiting `interval` when none do. A cube where every waiting memory was withheld
    /// is left alone until its backlog moves or `retryWithheldAfter` passes. A cancellation stops it between passes
    /// and returns normally; any other error ends it and is thrown.
    public func run(progress: @escaping (CubeSweep, _ awaitingAtStart: Int) -> Void = { _, _ in }) async throws {
        // Cubes whose last sweep embedded nothing, with the backlog it left and when.
        var stalled: [CubeID: (awaiting: Int, since: ContinuousClock.Instant)] = [:]
        do {
            while !Task.isCancelled {
                let now = ContinuousClock.now
                let due = try await store.awaitingEmbeddings(model: embedder.name).filter { cube, awaiting in
                    guard awaiting > 0 else { return false }
                    guard let stall = stalled[cube], stall.awaiting == awaiting else { return true }
                    return now - stall.since >= retryWithheldAfter
                }.keys.sorted()
                guard !due.isEmpty else {
                    try await Task.sleep(for: interval)
                    continue
                }
                for sweep in try await sweep(cubes: due, progress: progress) {
                    stalled[sweep.cube] = sweep.embedded == 0 ? (sweep.awaiting, now) : nil
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
