import Foundation
import MemVault
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL server is, as operators write it: `postgres://user[:password]@host[:port]/database`, with
/// `?sslmode=disable|prefer|require` (default: `prefer` off loopback, `disable` on it). The password is kept only
/// in the configuration handed to the driver: `description` leaves it out, so a URL can be logged.
public struct PostgresURL: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String
    let password: String?
    public private(set) var database: String
    public let requiresTLS: Bool

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw MemVaultError(
                .invalidArgument,
                "a PostgreSQL URL looks like postgres://user@host:5432/database (the one given does not)")
        }
        guard let username = components.user, !username.isEmpty else {
            throw MemVaultError(.invalidArgument, "the PostgreSQL URL names no user (postgres://user@host/database)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw MemVaultError(
                .invalidArgument, "the PostgreSQL URL names no database (postgres://user@host/database)")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value
        guard mode == nil || ["disable", "prefer", "require"].contains(mode) else {
            throw MemVaultError(.invalidArgument, "sslmode is disable, prefer or require")
        }
        self.host = host
        port = components.port ?? 5432
        self.username = username
        password = components.password
        self.database = database
        requiresTLS = mode == "require"
    }

    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The same server and credentials, another database.
    func with(database: String) -> PostgresURL {
        var url = self
        url.database = database
        return url
    }

    /// The driver's configuration: TLS required if asked, else plain on loopback and preferred elsewhere.
    func configuration() throws -> PostgresConnection.Configuration {
        let loopback = host == "127.0.0.1" || host == "::1" || host == "localhost"
        let tls: PostgresConnection.Configuration.TLS
        if requiresTLS || !loopback {
            do {
                let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                tls = requiresTLS ? .require(context) : .prefer(context)
            } catch {
                throw MemVaultError(.storage, "cannot set up TLS for \(self): \(error)")
            }
        } else {
            tls = .disable
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
