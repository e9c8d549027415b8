public import Foundation
public import Logging
public import MCP

/// MCP's stdio transport: newline-delimited JSON-RPC messages on two file handles (standard input and output by
/// default). A dedicated thread blocks on the input, so a message is handled the moment it arrives; the SDK's own
/// `StdioTransport` polls a non-blocking descriptor every 10 ms, which adds up to 10 ms to every call.
public actor LineTransport: Transport {
    public nonisolated let logger: Logger
    private let input: FileHandle
    private let output: FileHandle
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false

    public init(
        input: FileHandle = .standardInput, output: FileHandle = .standardOutput,
        logger: Logger = Logger(label: "memvault.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.input = input
        self.output = output
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    public func connect() async throws {
        guard !connected else { throw MCPError.internalError("the transport is already connected") }
        connected = true
        let reader = Thread { [input, continuation] in
            var pending = Data()
            while true {
                // Blocks until bytes arrive; empty at the end of the input (the client closed it).
                let chunk = input.availableData
                guard !chunk.isEmpty else { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[pending.index(after: newline)...])
                    if !line.isEmpty { continuation.yield(Data(line)) }
                }
            }
            continuation.finish()
        }
        reader.name = "memvault.mcp.stdio"
        reader.start()
    }

    public func disconnect() async {
        connected = false
        continuation.finish()
    }

    public func send(_ data: Data) async throws {
        guard connected else { throw MCPError.internalError("the transport is not connected") }
        var line = data
        if line.last != UInt8(ascii: "\n") { line.append(UInt8(ascii: "\n")) }
        try output.write(contentsOf: line)
    }

    public func receive() -> AsyncThrowingStream<Data, any Error> { messages }
}
