import Foundation
public import MCP
public import MemVault

/// An MCP server over one session: the memory tools, and the subject's cubes as resources. One server per
/// connection (a stdio process, or one session of the HTTP transport).
public enum MemoryServer {
    public static let name = "memvault"

    /// A server for `session`, its handlers registered; start it on a transport.
    public static func make(_ session: MemorySession, version: String = MemVaultVersion.current) async -> Server {
        let server = Server(
            name: name, version: version, title: "MemVault",
            instructions: """
                Governed long-term memory of the user you are assisting. Call recall before answering anything \
                that may depend on what the user said in earlier sessions; call remember for facts, preferences \
                and events worth keeping; call forget when the user asks you to. Every call is decided by the \
                user's consent and the tenant's policy, and recorded in an audit log.
                """,
            capabilities: .init(
                resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: MemoryTools.all) }
        await server.withMethodHandler(CallTool.self) { [weak server] parameters in
            // Progress goes to a client that asked for it with a token (the call's `_meta.progressToken`).
            let progress = Progress(token: parameters._meta?.progressToken, server: server)
            return await MemoryTools.call(parameters, in: session, progress: progress)
        }
        await server.withMethodHandler(ListResources.self) { parameters in
            try await CubeResources.list(in: session, after: parameters.cursor)
        }
        await server.withMethodHandler(ReadResource.self) { parameters in
            try await CubeResources.read(parameters.uri, in: session)
        }
        return server
    }
}

/// The subject's cubes as resources `memvault://cubes/{id}`: reading one gives its newest memories as JSON.
enum CubeResources {
    static let scheme = "memvault://cubes/"
    static let pageSize = 100

    static func list(in session: MemorySession, after cursor: String?) async throws -> ListResources.Result {
        let page = try await mcpErrors {
            try await session.access.cubes(owner: .subject(session.subject), after: cursor, limit: pageSize)
        }
        return ListResources.Result(
            resources: page.items.map { cube in
                Resource(
                    name: cube.name, uri: scheme + cube.id.rawValue,
                    description: "The user's cube '\(cube.name)' (\(cube.kind)): its newest memories, as JSON.",
                    mimeType: "application/json")
            }, nextCursor: page.nextCursor)
    }

    static func read(_ uri: String, in session: MemorySession) async throws -> ReadResource.Result {
        guard uri.hasPrefix(scheme), let cube = try? CubeID(String(uri.dropFirst(scheme.count))) else {
            throw MCPError.invalidParams("no resource \(uri.prefix(100)); the resources are \(scheme)<cube id>")
        }
        let memories = try await mcpErrors {
            // The cube must be the session subject's: another's answers as unknown, before anything of it is read.
            var cursor: String?
            repeat {
                let page = try await session.access.cubes(owner: .subject(session.subject), after: cursor, limit: 100)
                if page.items.contains(where: { $0.id == cube }) {
                    return try await session.access.memories(
                        in: .cube(cube), statuses: [.active], after: nil, limit: pageSize)
                }
                cursor = page.nextCursor
            } while cursor != nil
            throw MemVaultError(.notFound, "no cube \(cube)")
        }
        let answer = try MemoryTools.answer(memories)
        guard case .text(let text, _, _) = answer.content.first else { return ReadResource.Result(contents: []) }
        return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: "application/json")])
    }

    /// MemVault's errors as MCP errors, their messages kept (written for callers, with no content or subject ids).
    private static func mcpErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MemVaultError {
            throw error.code == .notFound || error.code == .invalidArgument
                ? MCPError.invalidParams("\(error.code.name): \(error.message)")
                : MCPError.internalError("\(error.code.name): \(error.message)")
        }
    }
}

/// Reports a tool call's steps as `notifications/progress`, if the client gave a progress token; else nothing.
struct Progress: Sendable {
    let token: ProgressToken?
    weak var server: Server?

    static let none = Progress(token: nil, server: nil)

    /// Step `step` of `total`, saying what is being done. A notification that cannot be sent does not fail the call.
    func report(_ step: Int, of total: Int, _ message: String) async {
        guard let token, let server else { return }
        try? await server.notify(
            ProgressNotification.message(
                .init(progressToken: token, progress: Double(step), total: Double(total), message: message)))
    }
}
