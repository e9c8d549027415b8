import ArgumentParser
import Foundation
import MCP
import MemVault
import MemVaultMCP

/// `memvault mcp`: an MCP server on standard input and output, for a desktop agent to start.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve one subject's governed memory to an agent over MCP (stdio), as the credential allows.",
        discussion: """
            The credential in MEMVAULT_API_KEY decides the tenant, role and purposes, on a data folder or through \
            a running server (--server / MEMVAULT_SERVER); the subject is fixed here (--subject or --external-id), \
            never by the agent. Every tool call is decided by the tenant's policy and the subject's consent and \
            recorded in the audit log like its REST equivalent. Standard output carries the protocol; logs go to \
            standard error.
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var purposeOptions: PurposeOptions
    @OptionGroup var serverOptions: ServerOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var subject: SubjectOptions
    @Option(help: "The cube `remember` writes to by default (cube_…; default: the subject's first, made if none).")
    var cube: String?

    func run() async throws {
        do {
            let defaultCube = try cube.map { try CubeID($0) }
            if let client = try serverOptions.client(purpose: purposeOptions.purpose) {
                guard try await RemoteInstallation(client: client).credential().tenant != nil else {
                    throw MemVaultError(
                        .denied, "an installation credential has no subjects: use a tenant's credential")
                }
                let user = try await subject.resolve(in: RemoteTenant(client: client), create: true)
                // Every request of the session names its subject: the server confines it, as the folder would.
                var scoped = client
                scoped.scope = user
                try await serve(
                    MemorySession(access: RemoteTenant(client: scoped), subject: user, defaultCube: defaultCube))
                return
            }
            guard let token = ProcessInfo.processInfo.environment["MEMVAULT_API_KEY"], !token.isEmpty else {
                throw ValidationError("memvault mcp needs the agent's credential in MEMVAULT_API_KEY")
            }
            try await store.withStore { store in
                let credential = try await store.authenticate(token: token)
                guard let tenant = credential.tenant else {
                    throw MemVaultError(
                        .denied, "an installation credential has no subjects: use a tenant's credential")
                }
                let access = try await store.tenant(
                    tenant, as: try credential.context(purpose: purposeOptions.purpose))
                let user = try await subject.resolve(in: access, create: true)
                try await serve(
                    MemorySession(
                        access: access.confined(to: user), subject: user, defaultCube: defaultCube,
                        embedder: model.embedder))
            }
        } catch {
            try store.fail(error)
        }
    }

    /// Serves until the agent closes standard input.
    private func serve(_ session: MemorySession) async throws {
        let server = await MemoryServer.make(session)
        try await server.start(transport: LineTransport(logger: store.logger))
        await server.waitUntilCompleted()
        await server.stop()
    }
}

/// The server confines what the client's scope names (`MemVault-Subject`).
extension RemoteTenant: MemoryToolAccess {
    var confinement: SubjectID? { client.scope }
}
