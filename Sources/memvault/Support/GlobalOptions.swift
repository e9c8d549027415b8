import ArgumentParser
import Foundation
import MemVault

/// Options every command takes: where the data is, where the master key is, and how to print.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The data folder (default: $MEMVAULT_DATA, else ./memvault-data).", valueName: "dir"))
    var data: String?

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp(
            "The master key file (default: DATA/master.key unless MEMVAULT_MASTER_KEY is set).", valueName: "path"))
    var keyFile: String?

    @Flag(name: .long, help: "Print one JSON document instead of text.")
    var json = false

    var dataPath: String {
        data ?? ProcessInfo.processInfo.environment["MEMVAULT_DATA"] ?? "./memvault-data"
    }

    var masterKeySource: Installation.MasterKeySource {
        .resolve(keyFile: keyFile, environment: ProcessInfo.processInfo.environment)
    }

    func openInstallation() throws -> Installation {
        try Installation.open(at: dataPath, masterKey: masterKeySource)
    }

    /// Runs `body`, printing its result as JSON or text, and any error in the same format with a non-zero exit.
    func run<Result: Encodable>(_ body: () throws -> Result, text: (Result) -> String) throws {
        do {
            let result = try body()
            print(json ? try JSONOutput.encode(result) : text(result))
        } catch let error as MemVaultError {
            try fail(code: error.code.name, message: error.message)
        } catch let error as ValidationError {
            throw error
        } catch {
            // Crypto and storage errors carry no secrets by construction; still, report them under one code.
            try fail(code: "internal_error", message: String(describing: error))
        }
    }

    private func fail(code: String, message: String) throws -> Never {
        if json {
            print(try JSONOutput.encode(ErrorDocument(error: .init(code: code, message: message))))
        } else {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        }
        throw ExitCode.failure
    }
}

private struct ErrorDocument: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
    }

    let error: Detail
}

enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
