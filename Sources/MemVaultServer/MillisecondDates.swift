import Foundation
import MemVault
import OpenAPIRuntime

/// ISO 8601 times with milliseconds, exact both ways (`ISO8601Milliseconds`), as the library and the command line
/// write them: the runtime's own transcoder can print a stored `.510` as `.509`.
struct MillisecondDates: DateTranscoder {
    func encode(_ date: Date) throws -> String { ISO8601Milliseconds.format(date) }

    func decode(_ text: String) throws -> Date {
        guard let date = ISO8601Milliseconds.parse(text) else {
            throw MemVaultError(.invalidArgument, "not an ISO 8601 time such as 2026-11-21T10:00:00.000Z")
        }
        return date
    }
}
