import ArgumentParser
import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy

/// The options of data-protection work (erasure requests, restrictions): the store, who is acting (the
/// data-protection officer by default) and the purpose of resolving subjects by external id.
struct OfficerOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var access: AccessOptions
    @OptionGroup var serverOptions: ServerOptions
    @Option(
        help: ArgumentHelp(
            "The purpose of the request, as the tenant's policy declares it (default: data-subject-rights).",
            valueName: "purpose"))
    var purpose: String?

    var context: AccessContext {
        access.context(defaultRole: .dataProtectionOfficer, purpose: purpose ?? "data-subject-rights")
    }

    /// The tenant's operations for `body`: through the server if one is given, else on the data folder.
    func withTenant<T>(_ tenant: String, _ body: (any TenantOperations) async throws -> T) async throws -> T {
        try await serverOptions.withTenant(tenant, store: store, access: access, context: context, body)
    }

    func run<Result: Encodable>(_ body: () async throws -> Result, text: (Result) -> String) async throws {
        try await store.run(body, text: text)
    }
}

/// A subject named by its MemVault id or by the tenant's external id (never echoed).
struct SubjectOptions: ParsableArguments {
    @Option(help: "The subject (sub_…).") var subject: String?
    @Option(name: .customLong("external-id"), help: "The tenant's id for the subject, instead of --subject.")
    var externalID: String?

    func validate() throws {
        guard (subject != nil) != (externalID != nil) else {
            throw ValidationError("give exactly one of --subject or --external-id")
        }
    }

    /// The subject's id; an external id is resolved by the tenant (and, with `create`, registered if new).
    func resolve(in store: any TenantOperations, create: Bool = false) async throws -> SubjectID {
        if let subject { return try SubjectID(subject) }
        return try await store.resolveSubject(externalID: externalID ?? "", create: create).id
    }
}

struct ErasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Right-to-be-forgotten requests (GDPR Art. 17): file, run, follow, and prove them with receipts.",
        discussion: """
            Requests are filed and run by the data-protection officer (the default role here). A run erases every \
            memory in scope with its versions, index entries and embeddings; a full erasure also removes the \
            subject's cubes, consent records and identity, destroys its keys and cleans the storage files. \
            Categories the policy must keep (Art. 17(3)) are kept and restricted; a legal hold rejects the request. \
            A run killed at any point resumes where it stopped when run again.
            """,
        subcommands: [Request.self, Run.self, Status.self, List.self, Extend.self, Receipt.self]
    )

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "File an erasure request; filing the same request again returns it.")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @OptionGroup var subject: SubjectOptions
        @Option(name: .customLong("category"), help: "Erase only this category (repeatable; default: everything).")
        var categories: [String] = []
        @Option(help: "Who asked: \(ErasureRequest.Requester.allCases.map(\.rawValue).joined(separator: ", ")).")
        var requester: ErasureRequest.Requester = .dataSubject
        @Option(
            help: "The Art. 17(1) ground: \(ErasureRequest.Ground.allCases.map(\.rawValue).joined(separator: ", ")).")
        var ground: ErasureRequest.Ground

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { store in
                    try await store.requestErasure(
                        of: try await subject.resolve(in: store), categories: categories.isEmpty ? nil : categories,
                        requester: requester, ground: ground)
                }
            } text: { request in
                "Erasure request \(request.id) \(request.state.rawValue), due \(Timestamps.format(request.dueAt)). "
                    + "Run it with `memvault erase run --tenant \(tenant) \(request.id)`."
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Carry out an erasure request, or every open one; progress on standard error.")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The request (era_…); default: every open one, and each whose exception has lapsed.")
        var request: String?
        @Option(help: "Memories per batch (one recorded unit of work each).") var batch = 500

        struct Result: Encodable {
            let requests: [ErasureRequest]
        }

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { store in
                    var ids: [String] = []
                    if let request {
                        ids = [request]
                    } else {
                        ids = try await store.erasureRequestsToRun().map(\.id)
                    }
                    var done: [ErasureRequest] = []
                    for id in ids {
                        done.append(
                            try await store.runErasure(id, batch: batch) { progress in
                                Progress.report(
                                    "\(progress.request): \(progress.step.rawValue), \(progress.erased) erased"
                                        + (progress.retained > 0 ? ", \(progress.retained) kept" : ""))
                            })
                    }
                    return Result(requests: done)
                }
            } text: { result in
                result.requests.isEmpty
                    ? "No open erasure requests." : result.requests.map(ErasureCommand.describe).joined(separator: "\n")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one erasure request.")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The request (era_…).") var request: String

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { try await $0.erasureRequest(request) }
            } text: {
                ErasureCommand.describe($0)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List erasure requests, oldest first.")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @Flag(help: "Only requests received or in progress.") var open = false

        struct Result: Encodable {
            let requests: [ErasureRequest]
        }

        func run() async throws {
            try await options.run {
                Result(requests: try await options.withTenant(tenant) { try await $0.erasureRequests(openOnly: open) })
            } text: { result in
                result.requests.isEmpty
                    ? "No erasure requests."
                    : result.requests.map {
                        "\($0.id)  \($0.state.rawValue)  due \(Timestamps.format($0.dueAt))  \($0.ground.rawValue)"
                    }.joined(separator: "\n")
            }
        }
    }

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Extend an open request's deadline by two months (Art. 12(3), once).")
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant.") var tenant: String
        @Argument(help: "The request (era_…).") var request: String

        func run() async throws {
            try await options.run {
                try await options.withTenant(tenant) { try await $0.extendErasure(request) }
            } text: {
                "Erasure request \($0.id) now due \(Timestamps.format($0.dueAt))."
            }
        }
    }

    struct Receipt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a completed request's signed receipt, or verify one (--verify FILE).",
            discussion: """
                A receipt is JSON signed with the tenant's audit key; it carries the completion's audit entry with \
                its inclusion proof in a signed checkpoint. --verify checks all of it against --verifier-key (or \
                the tenant's key, read from the data folder); Audit/verify_audit.py --receipt does the same \
                without MemVault.
                """)
        @OptionGroup var options: OfficerOptions
        @Option(help: "The tenant (not needed to verify with --verifier-key).") var tenant: String?
        @Argument(help: "The request (era_…).") var request: String?
        @Option(help: ArgumentHelp("Write the receipt to this file instead of printing it.", valueName: "file"))
        var output: String?
        @Option(help: ArgumentHelp("Verify the receipt in this file.", valueName: "file")) var verify: String?
        @Option(name: .customLong("verifier-key"), help: "The tenant's verifier key (`memvault audit key`).")
        var verifierKey: String?

        func validate() throws {
            if verify == nil {
                guard tenant != nil, request != nil else {
                    throw ValidationError("give --tenant and the request id, or --verify FILE")
                }
            } else {
                guard request == nil, output == nil else {
                    throw ValidationError("--verify checks a receipt file; it takes no request id or --output")
                }
                guard verifierKey != nil || tenant != nil else {
                    throw ValidationError("--verify needs --verifier-key, or --tenant to read the key")
                }
            }
        }

        func run() async throws {
            if let verify {
                try await verifyReceipt(at: verify)
                return
            }
            let output = output
            try await options.run {
                let receipt = try await options.withTenant(tenant!) { try await $0.erasureReceipt(request!) }
                let document = try receipt.document()
                if let output {
                    try Data(document).write(to: URL(filePath: output))
                }
                return Printed(document: String(decoding: document, as: UTF8.self), file: output)
            } text: {
                $0.file.map { "Receipt written to \($0)." } ?? $0.document
            }
        }

        /// The receipt as signed (canonical JSON), or where it was written.
        struct Printed: Encodable {
            let document: String
            let file: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                if let file {
                    try container.encode(["file": file])
                } else {
                    try container.encode(try JSONDecoder().decode(ErasureReceipt.self, from: Data(document.utf8)))
                }
            }
        }

        private func verifyReceipt(at path: String) async throws {
            var verification: ErasureReceipt.Verification?
            try await options.run {
                let document: Data
                do {
                    document = try Data(contentsOf: URL(filePath: path))
                } catch {
                    throw MemVaultError(.invalidArgument, "cannot read the receipt file '\(path)'")
                }
                let verifier: CheckpointVerifier
                if let verifierKey {
                    do {
                        verifier = try CheckpointVerifier(verifierKey: verifierKey)
                    } catch {
                        throw MemVaultError(.invalidArgument, "--verifier-key: \(error)")
                    }
                } else {
                    verifier = try await options.withTenant(tenant!) { try await $0.auditVerifierKey() }
                }
                let result = ErasureReceipt.verify(Array(document), verifier: verifier)
                verification = result
                return result
            } text: { result in
                result.checks.map {
                    "\($0.passed ? "ok  " : "FAIL") \($0.check)" + ($0.problem.map { ": \($0)" } ?? "")
                }
                .joined(separator: "\n")
                    + (result.isValid ? "\nThe receipt is valid." : "\nThe receipt is NOT valid.")
            }
            if verification?.isValid != true { throw ExitCode.failure }
        }
    }

    static func describe(_ request: ErasureRequest) -> String {
        let scope = request.categories?.joined(separator: ", ") ?? "everything"
        var closed = ""
        if let completedAt = request.completedAt { closed = ", closed \(Timestamps.format(completedAt))" }
        var lines = [
            "\(request.id)  \(request.state.rawValue)  subject \(request.subject)",
            "  scope: \(scope); ground \(request.ground.rawValue) (\(request.ground.article)); "
                + "requested by \(request.requester.rawValue)",
            "  received \(Timestamps.format(request.receivedAt)), due \(Timestamps.format(request.dueAt))"
                + (request.extended ? " (extended)" : "") + closed,
        ]
        if let rejection = request.rejection {
            lines.append("  rejected: \(rejection.rawValue) \(request.holds.joined(separator: ", "))")
        }
        if request.state != .received {
            let perCategory = request.erased.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let breakdown = perCategory.isEmpty ? "" : " (\(perCategory.joined(separator: ", ")))"
            lines.append(
                "  erased: \(request.erasedTotal) memories\(breakdown), \(request.cubes) cubes, "
                    + "\(request.consentRecords) consent records, \(request.keysDestroyed) key versions destroyed")
        }
        for kept in request.retained {
            let until = kept.until.map { " until \(Timestamps.format($0))" } ?? ""
            let purposes = kept.purposes.isEmpty ? "" : ", only for \(kept.purposes.joined(separator: ", "))"
            lines.append("  kept: \(kept.count) \(kept.category) (\(kept.basis), \(kept.article))\(until)\(purposes)")
        }
        return lines.joined(separator: "\n")
    }
}
