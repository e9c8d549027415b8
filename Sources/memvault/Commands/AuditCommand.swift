import ArgumentParser
import Foundation
import MemVault
import MemVaultAudit
import MemVaultPolicy

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, read, checkpoint and prove the tenant's append-only audit log (Audit/SPEC.md).",
        discussion: "These commands act as --role auditor unless told otherwise.",
        subcommands: [Verify.self, Log.self, Checkpoint.self, Prove.self, Key.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash, the Merkle tree and the checkpoints; non-zero exit on any failure.")

        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this tenant (default: every tenant).") var tenant: String?
        @Option(name: .customLong("checkpoint"), help: "A signed checkpoint held outside the database (repeatable).")
        var checkpoints: [String] = []

        struct Result: Encodable {
            let valid: Bool
            let tenants: [AuditVerification]
        }

        func run() async throws {
            var result: Result?
            try await options.run {
                let notes = try checkpoints.map { path -> String in
                    guard let data = FileManager.default.contents(atPath: path),
                        let note = String(data: data, encoding: .utf8)
                    else { throw ValidationError("cannot read checkpoint file \(path)") }
                    return note
                }
                let store = try await options.openStore()
                let tenants: [TenantID] =
                    if let tenant { [try TenantID(tenant)] } else { try await store.tenants() }
                var verifications: [AuditVerification] = []
                for tenant in tenants {
                    let audit = try await store.tenant(tenant, as: options.accessContext(defaultRole: .auditor))
                    verifications.append(try await audit.verifyAudit(checkpoints: notes))
                }
                try await store.close()
                let computed = Result(valid: verifications.allSatisfy(\.isValid), tenants: verifications)
                result = computed
                return computed
            } text: { result in
                result.tenants.map { verification in
                    var lines = [
                        "tenant \(verification.tenant): \(verification.entries) entries, root \(verification.root.prefix(16))… "
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

        @OptionGroup var options: GlobalOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "From this time (ISO 8601).") var from: String?
        @Option(help: "Until this time (ISO 8601).") var until: String?
        @Option(help: "Only this action.") var action: String?
        @Option(name: .customLong("by"), help: "Only this actor (credential id).") var actorFilter: String?
        @Option(help: "Only this cube.") var cube: String?
        @Option(help: "Only this subject (sub_…); matched by its audit pseudonym.") var subject: String?
        @Option(
            name: .customLong("external-id"),
            help: "Only the subject with this external id (needs a role that may resolve subjects).")
        var externalID: String?

        func run() async throws {
            do {
                var filter = AuditFilter(
                    from: try from.map { try Timestamps.parse($0, option: "--from") },
                    until: try until.map { try Timestamps.parse($0, option: "--until") }, action: action,
                    actor: actorFilter, cube: try cube.map { try CubeID($0) },
                    subject: try subject.map { try SubjectID($0) })
                let entries = try await options.withTenant(tenant, defaultRole: .auditor) { store in
                    // The pseudonym is computed from the external id only for a role that may resolve subjects.
                    if let externalID {
                        filter.subject = try await store.resolveSubject(externalID: externalID, create: false).id
                    }
                    return try await store.auditLog(filter)
                }
                for entry in entries {
                    print(
                        options.json
                            ? try JSONOutput.encode(entry, pretty: false)
                            : "\(entry.sequence)  \(Timestamps.format(Date(timeIntervalSince1970: Double(entry.time) / 1000)))  "
                                + "\(entry.actor) (\(entry.role))  \(entry.action)  \(entry.effect) "
                                + "[\(entry.ruleIDs.joined(separator: ","))]  purpose \(entry.purpose)"
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
            abstract: "Sign a checkpoint (C2SP signed note) of the log as it is now; keep a copy outside the database.")

        @OptionGroup var options: GlobalOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "Also write the signed note to this file.") var output: String?

        struct Result: Encodable {
            let checkpoint: String
        }

        func run() async throws {
            try await options.run {
                let note = try await options.withTenant(tenant, defaultRole: .auditor) {
                    try await $0.signAuditCheckpoint()
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

        @OptionGroup var options: GlobalOptions
        @Option(help: "The tenant.") var tenant: String
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
                    try await options.withTenant(tenant, defaultRole: .auditor) {
                        try await $0.auditInclusionProof(sequence: seq)
                    }
                } text: { proof in
                    "entry \(proof.sequence) of \(proof.treeSize), leaf \(proof.leafHash)\nroot \(proof.root)\n"
                        + proof.proof.joined(separator: "\n")
                }
            } else if let fromCheckpoint {
                try await options.run {
                    guard let data = FileManager.default.contents(atPath: fromCheckpoint),
                        let note = String(data: data, encoding: .utf8)
                    else { throw ValidationError("cannot read checkpoint file \(fromCheckpoint)") }
                    return try await options.withTenant(tenant, defaultRole: .auditor) {
                        try await $0.auditConsistencyProof(from: note)
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
            abstract: "Print the verifier key of the tenant's checkpoints, for auditors to keep.")

        @OptionGroup var options: GlobalOptions
        @Option(help: "The tenant.") var tenant: String

        struct Result: Encodable {
            let verifierKey: String
        }

        func run() async throws {
            try await options.run {
                Result(
                    verifierKey: try await options.withTenant(tenant, defaultRole: .auditor) {
                        try $0.auditVerifierKey().verifierKey
                    })
            } text: {
                $0.verifierKey
            }
        }
    }
}
