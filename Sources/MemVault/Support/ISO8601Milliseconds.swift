public import Foundation

/// ISO 8601 times in UTC with milliseconds (`2026-12-02T02:50:40.964Z`), exact both ways: the precision MemVault
/// stores. Foundation's style truncates the binary fraction a `Date` holds, so `.964` can print as `.963`; here the
/// time is rounded to its millisecond first and the fraction written from that integer.
public enum ISO8601Milliseconds {
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (whole, fraction) = seconds.remainder < 0 ? (seconds.quotient - 1, seconds.remainder + 1000) : seconds
        let text = Date(timeIntervalSince1970: Double(whole)).formatted(Date.ISO8601FormatStyle())
        return String(text.dropLast()) + "." + String(String(fraction + 1000).dropFirst()) + "Z"
    }

    /// With or without a fraction; the result is on its millisecond.
    public static func parse(_ text: String) -> Date? {
        guard
            let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                ?? (try? Date.ISO8601FormatStyle().parse(text))
        else { return nil }
        return rounded(date)
    }

    /// `date` on its millisecond: the time a document written with `format` reads back as.
    public static func rounded(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}
