import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Long-running commands stop cleanly on SIGINT or SIGTERM: the work's task is cancelled, so it finishes what it
/// has in hand (a unit of work is never cut in half) and the store closes normally.
enum Interruption {
    static func cancelling(_ work: @escaping @Sendable () async throws -> Void) async throws {
        let task = Task { try await work() }
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        do {
            try await task.value
        } catch is CancellationError {
            // Interrupted: stopping is what was asked.
        }
    }
}
