public import Foundation

/// An ISO 8601 duration such as `P180D`, `P6M`, `P1Y6M`, `P2W` or `PT12H`: whole numbers only, at least one part.
/// Calendar parts (years, months) are added on the Gregorian calendar in UTC, so `P1M` from 31 January ends on
/// the last day of February.
public struct ISODuration: Sendable, Hashable, Codable, CustomStringConvertible {
    public let years: Int
    public let months: Int
    public let weeks: Int
    public let days: Int
    public let hours: Int
    public let minutes: Int
    public let seconds: Int
    /// The text it was written as, kept so messages and records show what the author wrote.
    public let text: String

    public init?(_ text: String) {
        var parts = (years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0)
        var inTime = false
        var digits = ""
        var sawPart = false
        var lastRank = -1
        let characters = Array(text)
        guard characters.first == "P", characters.count > 1 else { return nil }
        for character in characters.dropFirst() {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            if character == "T" {
                guard !inTime, digits.isEmpty else { return nil }
                inTime = true
                continue
            }
            guard let value = Int(digits), digits.count <= 9 else { return nil }
            digits = ""
            // Parts must appear in ISO order, once each.
            let rank: Int
            switch (inTime, character) {
            case (false, "Y"): rank = 0; parts.years = value
            case (false, "M"): rank = 1; parts.months = value
            case (false, "W"): rank = 2; parts.weeks = value
            case (false, "D"): rank = 3; parts.days = value
            case (true, "H"): rank = 4; parts.hours = value
            case (true, "M"): rank = 5; parts.minutes = value
            case (true, "S"): rank = 6; parts.seconds = value
            default: return nil
            }
            guard rank > lastRank else { return nil }
            lastRank = rank
            sawPart = true
        }
        guard digits.isEmpty, sawPart, !(inTime && lastRank < 4) else { return nil }
        (years, months, weeks, days, hours, minutes, seconds) = parts
        self.text = text
    }

    public var description: String { text }

    /// `date` plus this duration.
    public func added(to date: Date) -> Date {
        // Without years and months the length is fixed (UTC has no daylight saving): no calendar needed, which
        // matters because retention is checked on every read.
        if years == 0, months == 0 {
            let days = Double(weeks * 7 + days)
            return date.addingTimeInterval(days * 86_400 + Double(hours * 3_600 + minutes * 60 + seconds))
        }
        var components = DateComponents()
        components.year = years
        components.month = months
        components.day = weeks * 7 + days
        components.hour = hours
        components.minute = minutes
        components.second = seconds
        return Self.calendar.date(byAdding: components, to: date) ?? .distantFuture
    }

    /// Whether this duration has passed between `start` and `now` (`now` ≥ `start` + duration). Exact, and without
    /// calendar arithmetic unless `now` falls in the few days a year or month can vary by: checked on every read.
    public func hasElapsed(since start: Date, at now: Date) -> Bool {
        let fixed = Double((weeks * 7 + days) * 86_400 + hours * 3_600 + minutes * 60 + seconds)
        let shortest = fixed + Double((years * 365 + months * 28) * 86_400)
        let longest = fixed + Double((years * 366 + months * 31) * 86_400)
        let elapsed = now.timeIntervalSince(start)
        if elapsed < shortest { return false }
        if elapsed >= longest { return true }
        return added(to: start) <= now
    }

    /// Compares lengths by adding both to the same reference date (months and years have no fixed length).
    public func isLonger(than other: ISODuration) -> Bool {
        let reference = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01T00:00:00Z
        return added(to: reference) > other.added(to: reference)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let duration = ISODuration(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a duration"))
        }
        self = duration
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
