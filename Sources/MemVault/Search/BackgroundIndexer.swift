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

    public init(store: TenantStore, embedder: any Embedder, batch: Int = 256, interval: Duration = .seconds(2)) {
        self.store = store
        self.embedder = embedder
        self.batch = batch
        self.interval = interval
    }

    /// Every cube of the tenant that names the embedder's model (or those given), each embedded until its backlog
    /// was read to the end. `progress` is told after every pass.
    public func sweep(
        cubes given: [CubeID]? = nil, progress: (CubeSweep, EmbeddingBacklog) -> Void = { _, _ in }
    ) async throws -> [CubeSweep] {
        var sweeps: [CubeSweep] = []
        let cubes: [CubeID]
        if let given { cubes = given } else { cubes = try await embeddedCubes() }
        for cube in cubes {
            let backlog = try await store.embeddingBacklog(cube)
            var sweep = CubeSweep(cube: cube)
            guard backlog.awaiting > 0 else {
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
                progress(sweep, backlog)
            } while after != nil
            sweep.awaiting = try await store.embeddingBacklog(cube).awaiting
            sweeps.append(sweep)
        }
        return sweeps
    }

    /// Sweeps until the task is cancelled, waiting `interval` after a sweep that found nothing to embed. A
    /// cancellation stops it between passes and returns normally; any other error ends it and is thrown.
    public func run(progress: @escaping (CubeSweep, EmbeddingBacklog) -> Void = { _, _ in }) async throws {
        do {
            while !Task.isCancelled {
                let sweeps = try await sweep(progress: progress)
                if sweeps.allSatisfy({ $0.embedded == 0 }) { try await Task.sleep(for: interval) }
            }
        } catch is CancellationError {
            return
        }
    }

    /// The tenant's cubes that name the embedder's model, in id order.
    public func embeddedCubes() async throws -> [CubeID] {
        var cubes: [CubeID] = []
        var cursor: String?
        repeat {
            let page = try await store.cubes(after: cursor, limit: 500)
            cubes += page.items.filter { $0.embedder == embedder.name }.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        return cubes
    }
}
