import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

@Suite("memvault serve")
struct ServeCommandTests {
    @Test("prints a bootstrap administrator credential once, serves it, and stops cleanly on SIGTERM")
    func serve() async throws {
        let (folder, cli) = try CommandRunner.installationWithTenant()
        _ = folder
        let (server, text) = try cli.startServer()
        let port = try #require(text.firstMatch(of: /127\.0\.0\.1:(\d+)\n/).flatMap { Int($0.1) })
        let token = try #require(text.firstMatch(of: /(mvk_cred_[A-Z0-9]+\.[A-Za-z0-9_-]+)/)?.1)
        #expect(text.contains("Try: curl -H 'Authorization: Bearer \(token)'"))
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/whoami")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("\"role\" : \"administrator\""))
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)

        // A second start finds the administrator credential and prints no token.
        let (again, secondText) = try cli.startServer()
        #expect(!secondText.contains("mvk_"))
        CommandRunner.stop(again)
    }

    @Test("serves HTTPS with a configured certificate; refuses plain HTTP off loopback unless told")
    func tls() throws {
        let (folder, cli) = try CommandRunner.installationWithTenant()
        let certificate = folder.appending("cert.pem")
        let key = folder.appending("key.pem")
        let openssl = Process()
        openssl.executableURL = URL(filePath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)

        let (server, text) = try cli.startServer(["--tls-certificate", certificate, "--tls-key", key])
        defer { CommandRunner.stop(server) }
        let port = try #require(text.firstMatch(of: /https:\/\/127\.0\.0\.1:(\d+)\n/).flatMap { Int($0.1) }, "\(text)")
        func curl(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(filePath: "/usr/bin/env")
            process.arguments = ["curl", "-sS", "--max-time", "10"] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let secure = try curl(["--cacert", certificate, "https://127.0.0.1:\(port)/health"])
        #expect(secure.status == 0 && secure.output.contains("\"ok\""), "\(secure)")
        // Without trusting the certificate the client refuses; in clear, the server does not answer HTTP.
        #expect(try curl(["https://127.0.0.1:\(port)/health"]).status != 0)
        #expect(!(try curl(["http://127.0.0.1:\(port)/health"]).output.contains("\"ok\"")))

        let exposed = try cli.run(["serve", "--host", "0.0.0.0", "--port", "0", "--json"])
        #expect(exposed.status != 0 && exposed.standardOutput.contains("--allow-plain-http"))
        let halfTLS = try cli.run(["serve", "--port", "0", "--tls-certificate", certificate, "--json"])
        #expect(halfTLS.status != 0)
    }
}
