import ArgumentParser
import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, read, checkpoint and prove the append-only audit logs (Audit/SPEC.md).",
        discussion: """
            A tenant's log records every request to its memories; the installation's log (--installation) records \
            tenant creation, deletion, policy changes and key events. These commands act as --role auditor unless \
            told otherwise, and each is recorded in the log it reads.
            """,
        subcommands: [Verify.self, Log.self, Checkpoint.self, Prove.self, Key.self]
    )

    /// Which log a command reads: one tenant's, or the installation's.
    struct LogSelection: ParsableArguments {
        @Option(help: "The tenant whose log to use.") var tenant: String?
        @Flag(help: "Use the installation's log instead of a tenant's.") var installation = false

        func validate() throws {
            guard (tenant != nil) != installation else {
                throw ValidationError("give exactly one of --tenant or --installation")
            }
        }

        /// The log selected: the tenant's, or the installation's.
        func log(in operations: any InstallationOperations) async throws -> any AuditLogOperations {
            guard let tenant else { return try await operations.installationAudit() }
            return TenantAuditLog(tenant: try await operations.tenant(TenantID(tenant)))
        }
    }

    static func readCheckpoint(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let note = String(data: data, encoding: .utf8)
        else { throw ValidationError("cannot read checkpoint file \(path)") }
        return note
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash, the Merkle tree and the checkpoints; non-zero exit on any failure.",
            discussion: """
                Without --tenant or --installation, every log is verified. Each --checkpoint file is checked against \
                the log its origin names (memvault.local/<tenant>, or memvault.local/_installation).
                """)

        @OptionGroup var options: InstallationOptions
        @Option(help: "Only this tenant's log.") var tenant: String?
        @Flag(help: "Only the installation's log.") var installation = false
        @Option(name: .customLong("checkpoint"), help: "A signed checkpoint held outside the data (repeatable).")
        var checkpoints: [String] = []

        struct Result: Encodable {
            let valid: Bool
            let tenants: [AuditVerification]
        }

        func run() async throws {
            var result: Result?
            try await options.run {
                let notes = try checkpoints.map { path in (path, try AuditCommand.readCheckpoint(path)) }
                let computed = try await options.withInstallation(defaultRole: .auditor) { operations in
                    let logs: [AuditLogSelection] =
                        if let tenant {
                            [
                                AuditLogSelection(
                                    origin: AuditOrigins.tenant(try TenantID(tenant)),
                                    log: TenantAuditLog(tenant: try await operations.tenant(TenantID(tenant))))
                            ]
                        } else if installation {
                            [
                                AuditLogSelection(
                                    origin: AuditOrigins.installation, log: try await operations.installationAudit())
                            ]
                        } else {
                            try await operations.everyAuditLog()
                        }
                    let origins = Set(logs.map(\.origin))
                    for (path, note) in notes {
                        let origin = MemVaultAudit.Checkpoint.claimedOrigin(of: note) ?? "?"
                        guard origins.contains(origin) else {
                            throw ValidationError(
                                "checkpoint \(path) is for the log \(origin), which is not among those verified here")
                        }
                    }
                    var verifications: [AuditVerification] = []
                    for selection in logs {
                        let given = notes.map(\.1).filter {
                            MemVaultAudit.Checkpoint.claimedOrigin(of: $0) == selection.origin
                        }
                        verifications.append(try await selection.log.verify(checkpoints: given))
                    }
                    return Result(valid: verifications.allSatisfy(\.isValid), tenants: verifications)
                }
                result = computed
                return computed
            } text: { result in
                result.tenants.map { verification in
                    var lines = [
                        "\(verification.origin): \(verification.entries) entries, root \(verification.root.prefix(16))… "
                            + (verification.isValid ? "OK" : "FAILED")
                    ]
                    if let sequence = verification.firstBadSequence {
                        lines.append("  first bad entry: \(sequence): \(verification.problem ?? "")")
                    }
                    lines += verification.checkpoints.map {
                        "  \($0.source) checkpoint of \($0.size.map(String.init) ?? "?") entries: "
                            + ($0.valid ? "consistent" : "FAILED: \($0.problem ?? "")")
                    }
                    return lines.joined(separator: "\n")
                }.joined(separator: "\n")
            }
            if result?.valid != true { throw ExitCode.failure }
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show audit entries, filtered; --json prints JSON lines.")

        @OptionGroup var options: InstallationOptions
        @OptionGroup var selection: LogSelection
        @OptionGroup var purposeOptions: PurposeOptions
        @Option(help: "From this time (ISO 8601).") var from: String?
        @Option(help: "Until this time (ISO 8601).") var until: String?
        @Option(help: "Only this action.") var action: String?
        @Option(name: .customLong("by"), help: "Only this actor (credential id).") var actorFilter: String?
        @Option(help: "Only this cube.") var cube: String?
        @Option(help: "Only this subject (sub_…); matched by its audit pseudonym.") var subject: String?
        @Option(
            name: .customLong("external-id"),
            help: "Only the subject with this external id (needs a role that may resolve subjects, and --purpose).")
        var externalID: String?

        func run() async throws {
            do {
                var filter = AuditFilter(
                    from: try from.map { try Timestamps.parse($0, option: "--from") },
                    until: try until.map { try Timestamps.parse($0, option: "--until") },
                    action: action.map(AuditAction.init(rawValue:)), actor: actorFilter,
                    cube: try cube.map { try CubeID($0) }, subject: try subject.map { try SubjectID($0) })
                let entries = try await options.withInstallation(
                    defaultRole: .auditor, purpose: purposeOptions.purpose
                ) { operations in
                    guard let tenant = selection.tenant else {
                        return try await operations.installationAudit().entries(filter)
                    }
                    let tenantOperations = try await operations.tenant(TenantID(tenant))
                    // The pseudonym is computed from the external id only for a role that may resolve subjects.
                    if let externalID {
                        filter.subject = try await tenantOperations.resolveSubject(
                            externalID: externalID, create: false
                        )
                        .id
                    }
                    return try await tenantOperations.auditLog(filter)
                }
                for entry in entries {
                    print(
                        options.json
                            ? try JSONOutput.encode(entry, pretty: false)
                            : "\(entry.sequence)  \(Timestamps.format(Date(timeIntervalSince1970: Double(entry.time) / 1000)))  "
                                + "\(entry.actor) (\(entry.role))  \(entry.action)  \(entry.effect) "
                                + "[\(entry.ruleIDs.joined(separator: ","))]"
                                + (entry.purpose.isEmpty ? "" : "  purpose \(entry.purpose)")
                                + (entry.subject.map { "  \($0)" } ?? "") + (entry.cube.map { "  \($0)" } ?? "")
                                + (entry.memories.isEmpty ? "" : "  \(entry.memories.count) memories")
                                + (entry.detail.map { "  (\($0))" } ?? ""))
                }
            } catch {
                try options.fail(error)
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a checkpoint (C2SP signed note) of the log as it is now; keep a copy outside the data.")

        @OptionGroup var options: InstallationOptions
        @OptionGroup var selection: LogSelection
        @Option(help: "Also write the signed note to this file.") var output: String?

        struct Result: Encodable {
            let checkpoint: String
        }

        func run() async throws {
            try await options.run {
                let note = try await options.withInstallation(defaultRole: .auditor) {
                    try await selection.log(in: $0).signCheckpoint()
                }
                if let output { try note.write(toFile: output, atomically: true, encoding: .utf8) }
                return Result(checkpoint: note)
            } text: {
                $0.checkpoint
            }
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An inclusion proof of one entry (--seq N), or a consistency proof from a checkpoint you hold.")

        @OptionGroup var options: InstallationOptions
        @OptionGroup var selection: LogSelection
        @Option(help: "The entry's sequence number.") var seq: UInt64?
        @Option(name: .customLong("from-checkpoint"), help: "A signed checkpoint file.") var fromCheckpoint: String?

        func validate() throws {
            guard (seq != nil) != (fromCheckpoint != nil) else {
                throw ValidationError("give exactly one of --seq or --from-checkpoint")
            }
        }

        func run() async throws {
            if let seq {
                try await options.run {
                    try await options.withInstallation(defaultRole: .auditor) {
                        try await selection.log(in: $0).inclusionProof(sequence: seq)
                    }
                } text: { proof in
                    "entry \(proof.sequence) of \(proof.treeSize), leaf \(proof.leafHash)\nroot \(proof.root)\n"
                        + proof.proof.joined(separator: "\n")
                }
            } else if let fromCheckpoint {
                try await options.run {
                    let note = try AuditCommand.readCheckpoint(fromCheckpoint)
                    return try await options.withInstallation(defaultRole: .auditor) {
                        try await selection.log(in: $0).consistencyProof(from: note)
                    }
                } text: { proof in
                    "from \(proof.oldSize) to \(proof.newSize): \(proof.verified ? "consistent" : "INCONSISTENT")\n"
                        + proof.proof.joined(separator: "\n")
                }
            }
        }
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the verifier key of the log's checkpoints, for auditors to keep.")

        @OptionGroup var options: InstallationOptions
        @OptionGroup var selection: LogSelection

        struct Result: Encodable {
            let verifierKey: String
        }

        func run() async throws {
            try await options.run {
                Result(
                    verifierKey: try await options.withInstallation(defaultRole: .auditor) {
                        try await selection.log(in: $0).verifierKey().verifierKey
                    })
            } text: {
                $0.verifierKey
            }
        }
    }
}
