import Foundation
import MemVaultMCP
import Testing

@Suite("MCP: the stdio transport")
struct LineTransportTests {
    @Test("splits the input into messages at newlines, however the bytes arrive, and ends with the input")
    func framing() async throws {
        let (fromClient, toClient) = (Pipe(), Pipe())
        let transport = LineTransport(input: fromClient.fileHandleForReading, output: toClient.fileHandleForWriting)
        try await transport.connect()
        let writer = fromClient.fileHandleForWriting
        try writer.write(contentsOf: Data("{\"a\":1}\n{\"b\":2}\n{\"c\"".utf8))
        try await Task.sleep(for: .milliseconds(20))
        try writer.write(contentsOf: Data(":3}\n\n".utf8))
        try writer.close()
        var received: [String] = []
        for try await message in await transport.receive() { received.append(String(decoding: message, as: UTF8.self)) }
        #expect(received == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])

        try await transport.send(Data("{\"d\":4}".utf8))
        try toClient.fileHandleForWriting.close()
        #expect(String(decoding: toClient.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "{\"d\":4}\n")
    }
}
