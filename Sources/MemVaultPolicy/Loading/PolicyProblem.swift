/// One thing wrong with a policy file, where it is, and what to write instead.
public struct PolicyProblem: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// A policy file that does not validate. Nothing of it takes effect.
public struct PolicyLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public let problems: [PolicyProblem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
