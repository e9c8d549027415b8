import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import MemVault
import MemVaultCrypto
import MemVaultMCP
import NIOCore
import ServiceLifecycle

/// The MCP server on `/mcp` (streamable HTTP): one MCP session per `initialize`, each with its own transport and
/// server, bound to the credential that opened it and to one subject. Every request is authenticated again (a
/// revoked credential's next request is refused), and a session answers only the credential that opened it: any
/// other sees "no such session", as for one that never existed.
actor MCPEndpoint {
    struct Session {
        let transport: StatefulHTTPServerTransport
        let server: Server
        let credential: String
        var lastUsed: Date
    }

    /// The subject a session serves: `MemVault-Subject: sub_…`, or `MemVault-External-Id` (resolved, registered if
    /// new), on the `initialize` request; the purpose from `MemVault-Purpose`.
    static let subjectHeader = HTTPField.Name("MemVault-Subject")!
    static let externalIDHeader = HTTPField.Name("MemVault-External-Id")!
    static let purposeHeader = HTTPField.Name("MemVault-Purpose")!

    let store: MemoryStore
    let embedder: (any Embedder)?
    let origins: MemVaultServer.MCPOrigins
    let logger: Logger
    /// Sessions idle this long are closed.
    let idleTimeout: TimeInterval = 30 * 60
    /// The most open sessions per credential; opening another closes its least recently used.
    let sessionsPerCredential = 16
    private var sessions: [String: Session] = [:]

    init(store: MemoryStore, embedder: (any Embedder)?, origins: MemVaultServer.MCPOrigins, logger: Logger) {
        self.store = store
        self.embedder = embedder
        self.origins = origins
        self.logger = logger
    }

    func handle(_ request: Request, body: ByteBuffer) async -> Response {
        let credential: Credential
        do {
            guard let token = BearerToken.current else { throw Problems.unauthenticated }
            credential = try await store.authenticate(token: token)
        } catch {
            return Self.response(
                .error(
                    statusCode: 401, .invalidRequest("Unauthorized: a valid credential is required"),
                    extraHeaders: ["WWW-Authenticate": "Bearer"]))
        }
        let mcpRequest = MCP.HTTPRequest(
            method: request.method.rawValue,
            headers: Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }) { first, _ in first },
            body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil, path: request.uri.path)
        if let id = request.headers[HTTPField.Name("Mcp-Session-Id")!] {
            guard var session = sessions[id], session.credential == credential.id else {
                return Self.response(.error(statusCode: 404, .invalidRequest("Not Found: no such session")))
            }
            session.lastUsed = Date()
            sessions[id] = session
            let response = await session.transport.handleRequest(mcpRequest)
            if request.method == .delete, response.statusCode == 200 { await close(id) }
            return Self.response(response)
        }
        guard request.method == .post, Self.isInitialize(body) else {
            return Self.response(
                .error(statusCode: 400, .invalidRequest("Bad Request: open a session with initialize first")))
        }
        do {
            return Self.response(try await open(mcpRequest, request: request, credential: credential))
        } catch let error as MemVaultError {
            let (status, _) = Problems.problem(for: error)
            return Self.response(.error(statusCode: status, .invalidRequest("\(error.code.name): \(error.message)")))
        } catch {
            return Self.response(.error(statusCode: 500, .internalError("the session could not be opened")))
        }
    }

    /// A new session for `credential`, bound to the subject its headers name.
    private func open(_ mcpRequest: MCP.HTTPRequest, request: Request, credential: Credential) async throws
        -> MCP.HTTPResponse
    {
        guard let tenant = credential.tenant else {
            throw MemVaultError(.denied, "an installation credential has no subjects: use a credential of a tenant")
        }
        let tenantStore = try await store.tenant(
            tenant, as: try credential.context(purpose: request.headers[Self.purposeHeader]))
        let subject: SubjectID
        switch (request.headers[Self.subjectHeader], request.headers[Self.externalIDHeader]) {
        case (let id?, nil): subject = try SubjectID(id)
        case (nil, let externalID?): subject = try await tenantStore.resolveSubject(externalID: externalID).id
        default:
            throw MemVaultError(
                .invalidArgument,
                "name the session's subject with exactly one of MemVault-Subject or MemVault-External-Id")
        }
        closeIdle()
        let id = try SessionIdentifier.random()
        let transport = StatefulHTTPServerTransport(
            sessionIDGenerator: FixedSessionID(id: id),
            validationPipeline: StandardValidationPipeline(validators: [
                OriginValidator(allowedHosts: origins.hosts, allowedOrigins: origins.origins),
                AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(), ProtocolVersionValidator(),
                SessionValidator(),
            ]), logger: logger)
        let server = await MemoryServer.make(
            MemorySession(access: tenantStore.confined(to: subject), subject: subject, embedder: embedder))
        try await server.start(transport: transport)
        let response = await transport.handleRequest(mcpRequest)
        if case .error = response {
            await server.stop()
            return response
        }
        sessions[id] = Session(transport: transport, server: server, credential: credential.id, lastUsed: Date())
        let own = sessions.filter { $0.value.credential == credential.id }
        if own.count > sessionsPerCredential, let oldest = own.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            await close(oldest.key)
        }
        logger.info("opened an MCP session", metadata: ["tenant": "\(tenant)", "credential": "\(credential.id)"])
        return response
    }

    private func close(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.server.stop()
    }

    private func closeIdle() {
        let now = Date()
        for (id, session) in sessions where now.timeIntervalSince(session.lastUsed) > idleTimeout {
            Task { await close(id) }
        }
    }

    /// Closes every session (the server is shutting down).
    func closeAll() async {
        for id in sessions.keys { await close(id) }
    }

    private static func isInitialize(_ body: ByteBuffer) -> Bool {
        struct Message: Decodable { let method: String? }
        return (try? JSONDecoder().decode(Message.self, from: Data(body.readableBytesView)))?.method == "initialize"
    }

    /// The transport's answer as Hummingbird's: JSON, or an SSE stream piped to the client.
    private static func response(_ response: MCP.HTTPResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { headers[name] = value }
        }
        let status = HTTPTypes.HTTPResponse.Status(code: response.statusCode)
        switch response {
        case .stream(let stream, _):
            return Response(
                status: status, headers: headers,
                body: ResponseBody(asyncSequence: stream.map { ByteBuffer(bytes: $0) }))
        default:
            return Response(
                status: status, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.bodyData ?? Data())))
        }
    }
}

/// The session id a transport announces: chosen by the endpoint (256 random bits), so it can route by it.
struct FixedSessionID: SessionIDGenerator {
    let id: String
    func generateSessionID() -> String { id }
}

enum SessionIdentifier {
    /// 256 random bits, base64url: unguessable, like a credential's secret.
    static func random() throws -> String {
        Data(try SecureRandom.bytes(count: 32)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Closes the MCP sessions when the server shuts down, so their open event streams end and the shutdown completes.
struct MCPSessionsService: Service {
    let endpoint: MCPEndpoint

    func run() async throws {
        try? await gracefulShutdown()
        await endpoint.closeAll()
    }
}
