import Foundation
import Yams

/// Reads and validates policy files. A file loads completely or not at all: every problem found is reported, with
/// its position, and no partial policy is ever returned.
public enum PolicyLoader {
    public static let languageVersion = "1"

    public static func load(file path: String) throws -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyLoadError(problems: [
                PolicyProblem(file: path, line: 1, column: 1, message: "cannot read the policy file")
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyLoadError(problems: [
                PolicyProblem(file: path, line: 1, column: 1, message: "the policy file is not UTF-8 text")
            ])
        }
        return try load(yaml: text, file: path)
    }

    public static func load(yaml: String, file: String) throws -> Policy {
        let diagnostics = Diagnostics(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PolicyLoadError(problems: [syntaxProblem(error, file: file, yaml: yaml)])
        }
        guard let root else {
            throw PolicyLoadError(problems: [
                PolicyProblem(
                    file: file, line: 1, column: 1, message: "the policy file is empty; start with 'policy: NAME'")
            ])
        }
        let policy = PolicyReader(diagnostics: diagnostics).read(root)
        guard diagnostics.problems.isEmpty, let policy else {
            throw PolicyLoadError(problems: diagnostics.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return policy
    }

    private static func syntaxProblem(_ error: YamlError, file: String, yaml: String) -> PolicyProblem {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.sorted().first ?? "?"
            let (line, column) =
                secondOccurrence(of: key, in: yaml, after: context.mark.line)
                ?? (context.mark.line, context.mark.column)
            return PolicyProblem(
                file: file, line: line, column: column,
                message: "'\(key)' appears twice in the same mapping; ids and keys must be unique, keep one")
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return PolicyProblem(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(problem)")
        case .reader(let problem, _, _, _):
            return PolicyProblem(file: file, line: 1, column: 1, message: "YAML input: \(problem)")
        default:
            return PolicyProblem(file: file, line: 1, column: 1, message: "YAML: \(error)")
        }
    }

    /// The line and column of the second `key:` at the start of a line from `line` on (1-based).
    private static func secondOccurrence(of key: String, in yaml: String, after line: Int) -> (Int, Int)? {
        var seen = 0
        for (index, text) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where index + 1 >= line {
            let trimmed = text.drop { $0 == " " }
            guard trimmed.hasPrefix(key + ":") else { continue }
            seen += 1
            if seen == 2 { return (index + 1, text.count - trimmed.count + 1) }
        }
        return nil
    }
}

/// The reading and validation itself.
private struct PolicyReader {
    let diagnostics: Diagnostics

    func read(_ root: Node) -> Policy? {
        guard let top = MappingReader(root, context: "the policy", diagnostics: diagnostics) else { return nil }
        top.checkKeys([
            "policy", "version", "description", "purposes", "categories", "rules", "erasure", "migration", "records",
        ])
        let name = top.string("policy", required: true).flatMap {
            identifier($0, "policy name", top.node("policy")?.mark)
        }
        if let version = top.string("version", required: true), version != PolicyLoader.languageVersion {
            diagnostics.report(
                top.node("version")?.mark,
                "unknown policy language version '\(version)'; this MemVault reads version \(PolicyLoader.languageVersion)"
            )
        }
        let purposes = readPurposes(top)
        let categories = readCategories(top, purposes: purposes)
        let rules = readRules(top, purposes: purposes, categories: categories)
        let erasure = readErasure(top)
        let migration = readMigration(top, purposes: purposes)
        let records = readRecords(top)
        guard let name else { return nil }
        return Policy(
            name: name, description: top.string("description"), purposes: purposes, categories: categories,
            rules: rules.sorted { $0.id < $1.id }, erasure: erasure, migration: migration, records: records)
    }

    // MARK: - Sections

    private func readPurposes(_ top: MappingReader) -> [String: Policy.Purpose] {
        guard let section = top.mapping("purposes", context: "'purposes'") else {
            if top.node("purposes") == nil { diagnostics.report(top.mark, "the policy needs 'purposes'") }
            return [:]
        }
        section.checkDuplicates(kind: "purpose")
        var purposes: [String: Policy.Purpose] = [:]
        for pair in section.pairs {
            guard let id = identifier(pair.key, "purpose id", pair.keyMark),
                let body = MappingReader(pair.value, context: "purpose '\(id)'", diagnostics: diagnostics)
            else { continue }
            body.checkKeys(["legal_basis", "description"])
            guard let basisText = body.string("legal_basis", required: true),
                let basis = choice(basisText, LegalBasis.self, "legal basis", body.node("legal_basis")?.mark)
            else { continue }
            purposes[id] = Policy.Purpose(legalBasis: basis, description: body.string("description"))
        }
        if purposes.isEmpty, section.pairs.isEmpty {
            diagnostics.report(section.mark, "'purposes' declares no purpose; declare at least one")
        }
        return purposes
    }

    private func readCategories(_ top: MappingReader, purposes: [String: Policy.Purpose]) -> [String: Policy.Category] {
        guard let section = top.mapping("categories", context: "'categories'") else {
            if top.node("categories") == nil { diagnostics.report(top.mark, "the policy needs 'categories'") }
            return [:]
        }
        section.checkDuplicates(kind: "category")
        var categories: [String: Policy.Category] = [:]
        for pair in section.pairs {
            guard let id = identifier(pair.key, "category id", pair.keyMark),
                let body = MappingReader(pair.value, context: "category '\(id)'", diagnostics: diagnostics)
            else { continue }
            body.checkKeys(["retention", "purposes", "special_category", "erasure_exception", "description"])
            let retention = body.string("retention").flatMap { duration($0, "retention", body.node("retention")?.mark) }
            let allowed = references(body.list("purposes", required: true), declared: purposes, kind: "purpose")
            if let list = body.list("purposes"), list.isEmpty {
                diagnostics.report(body.node("purposes")?.mark, "category '\(id)' allows no purpose; list at least one")
            }
            let special = body.bool("special_category") ?? false
            if special {
                for purpose in allowed.sorted() {
                    guard let basis = purposes[purpose]?.legalBasis, !basis.permitsSpecialCategories else { continue }
                    diagnostics.report(
                        body.node("purposes")?.mark,
                        "special category '\(id)' allows purpose '\(purpose)' whose legal basis is \(basis.rawValue), "
                            + "which is no GDPR Art. 9(2) ground; use a purpose based on consent (explicit consent), "
                            + "vital-interest or legal-obligation")
                }
            }
            var exception: Policy.ErasureException?
            if let body = body.mapping("erasure_exception", context: "the erasure exception of '\(id)'") {
                body.checkKeys(["basis", "keep_for", "reference", "purposes"])
                let basis = body.string("basis", required: true).flatMap {
                    choice($0, ErasureExceptionBasis.self, "erasure exception basis", body.node("basis")?.mark)
                }
                let keepFor = body.string("keep_for", required: true).flatMap {
                    duration($0, "keep_for", body.node("keep_for")?.mark)
                }
                let kept = body.list("purposes", required: true)
                let keptPurposes = references(kept, declared: purposes, kind: "purpose")
                for item in kept ?? [] where purposes[item.value] != nil && !allowed.contains(item.value) {
                    diagnostics.report(
                        item.mark,
                        "the erasure exception of '\(id)' keeps it for purpose '\(item.value)', which the category "
                            + "does not allow; its purposes are: \(allowed.sorted().joined(separator: ", "))")
                }
                if let kept, kept.isEmpty {
                    diagnostics.report(
                        body.node("purposes")?.mark,
                        "the erasure exception of '\(id)' names no purpose: name the purposes that may still use what "
                            + "it keeps (GDPR Art. 18(2)), e.g. the legal obligation's")
                }
                if let basis, let keepFor {
                    exception = Policy.ErasureException(
                        basis: basis, keepFor: keepFor, reference: body.string("reference"), purposes: keptPurposes)
                    if let retention, keepFor.isLonger(than: retention) {
                        diagnostics.report(
                            body.node("keep_for")?.mark,
                            "category '\(id)' must be kept for \(keepFor) but its retention is only \(retention): "
                                + "set retention to at least \(keepFor), or shorten keep_for")
                    }
                }
            }
            categories[id] = Policy.Category(
                retention: retention, purposes: allowed, specialCategory: special, erasureException: exception,
                description: body.string("description"))
        }
        return categories
    }

    private func readRules(
        _ top: MappingReader, purposes: [String: Policy.Purpose], categories: [String: Policy.Category]
    ) -> [Policy.Rule] {
        guard let node = top.node("rules") else {
            diagnostics.report(top.mark, "the policy needs 'rules' (a list); with none, everything is denied")
            return []
        }
        guard case .sequence(let sequence) = node else {
            diagnostics.report(node.mark, "'rules' must be a list of rules, each starting with '- id: …'")
            return []
        }
        var rules: [Policy.Rule] = []
        var ids: Set<String> = []
        for item in sequence {
            guard let body = MappingReader(item, context: "a rule", diagnostics: diagnostics) else { continue }
            body.checkKeys(["id", "effect", "actions", "roles", "purposes", "conditions", "description"])
            guard let rawID = body.string("id", required: true),
                let id = identifier(rawID, "rule id", body.node("id")?.mark)
            else { continue }
            if !ids.insert(id).inserted {
                diagnostics.report(body.node("id")?.mark, "rule id '\(id)' is used twice; rule ids must be unique")
            }
            let context = "rule '\(id)'"
            let effect = body.string("effect", required: true).flatMap {
                choice($0, Policy.Rule.Effect.self, "effect", body.node("effect")?.mark)
            }
            let actions = choices(body.list("actions", required: true), Action.self, "action", context: context)
            let roles = choices(body.list("roles", required: true), Role.self, "role", context: context)
            let rulePurposes = body.list("purposes").map { references($0, declared: purposes, kind: "purpose") }
            let conditions = readConditions(body, context: context, categories: categories)
            guard let effect, !actions.isEmpty, !roles.isEmpty else { continue }
            checkReachable(
                id: id, effect: effect, actions: actions, purposes: rulePurposes, conditions: conditions,
                categories: categories, mark: body.mark)
            rules.append(
                Policy.Rule(
                    id: id, effect: effect, actions: actions, roles: roles, purposes: rulePurposes,
                    conditions: conditions, description: body.string("description")))
        }
        return rules
    }

    private func readConditions(
        _ rule: MappingReader, context: String, categories: [String: Policy.Category]
    ) -> Policy.Conditions {
        guard let body = rule.mapping("conditions", context: "the conditions of \(context)") else { return .none }
        body.checkKeys(["categories", "consent", "legal_hold", "memory_types", "sources", "special_category"])
        let conditionCategories = body.list("categories").map { references($0, declared: categories, kind: "category") }
        let special = body.bool("special_category")
        if let special, let conditionCategories, !conditionCategories.isEmpty,
            !conditionCategories.contains(where: { categories[$0]?.specialCategory == special })
        {
            diagnostics.report(
                body.node("special_category")?.mark,
                "\(context) requires special_category: \(special), but none of its categories is "
                    + (special ? "a special category" : "an ordinary category") + ": it can never match")
        }
        return Policy.Conditions(
            categories: conditionCategories,
            consent: body.list("consent").map { choices($0, ConsentState.self, "consent state", context: context) },
            legalHold: body.bool("legal_hold"),
            memoryTypes: body.list("memory_types").map {
                vocabulary($0, StoreVocabulary.memoryTypes, "memory type", context: context)
            },
            sources: body.list("sources").map { vocabulary($0, StoreVocabulary.sources, "source", context: context) },
            specialCategory: special)
    }

    /// A permit for processing that purpose limitation would always overrule is a contradiction, not a rule.
    private func checkReachable(
        id: String, effect: Policy.Rule.Effect, actions: Set<Action>, purposes: Set<String>?,
        conditions: Policy.Conditions, categories: [String: Policy.Category], mark: Mark?
    ) {
        guard effect == .permit, actions.allSatisfy(\.isProcessing), let purposes,
            let ruleCategories = conditions.categories
        else { return }
        let usable = ruleCategories.filter { !(categories[$0]?.purposes.isDisjoint(with: purposes) ?? true) }
        if usable.isEmpty, !ruleCategories.isEmpty {
            diagnostics.report(
                mark,
                "rule '\(id)' permits purposes \(purposes.sorted()) for categories \(ruleCategories.sorted()), "
                    + "but none of those categories allows any of those purposes: it can never permit anything; "
                    + "add the purpose to a category's 'purposes' or change the rule")
        }
    }

    private func readErasure(_ top: MappingReader) -> Policy.ErasureSettings {
        let defaultDeadline = ISODuration("P1M")!
        guard let body = top.mapping("erasure", context: "'erasure'") else {
            return Policy.ErasureSettings(deadline: defaultDeadline, covers: StoreVocabulary.erasureScopes)
        }
        body.checkKeys(["deadline", "covers"])
        var deadline = defaultDeadline
        if let text = body.string("deadline"), let parsed = duration(text, "deadline", body.node("deadline")?.mark) {
            if parsed.isLonger(than: ISODuration("P3M")!) {
                diagnostics.report(
                    body.node("deadline")?.mark,
                    "erasure deadline \(parsed) is longer than GDPR Art. 12(3) allows (one month, extendable to three); "
                        + "use P1M")
            }
            deadline = parsed
        }
        let covers = body.list("covers").map {
            vocabulary($0, StoreVocabulary.erasureScopes, "erasure scope", context: "'erasure'")
        }
        if let list = body.list("covers"), !list.contains(where: { $0.value == "memories" }) {
            diagnostics.report(
                body.node("covers")?.mark, "an erasure that does not cover 'memories' erases nothing; add it")
        }
        return Policy.ErasureSettings(deadline: deadline, covers: covers ?? StoreVocabulary.erasureScopes)
    }

    private func readMigration(_ top: MappingReader, purposes: [String: Policy.Purpose]) -> Policy.MigrationSettings {
        guard let body = top.mapping("migration", context: "'migration'") else {
            return Policy.MigrationSettings(
                formats: ["memvault-bundle"], destinations: [], sources: [], requiredPurposes: [],
                requireConsent: true)
        }
        body.checkKeys(["formats", "destinations", "sources", "required_purposes", "require_consent"])
        let formats = vocabulary(
            body.list("formats") ?? [("memvault-bundle", nil)], StoreVocabulary.transferFormats, "format",
            context: "'migration'")
        let destinations = vocabulary(
            body.list("destinations") ?? [], StoreVocabulary.platforms, "platform", context: "'migration'")
        let sources = vocabulary(
            body.list("sources") ?? [], StoreVocabulary.platforms, "platform", context: "'migration'")
        let required = body.list("required_purposes").map { references($0, declared: purposes, kind: "purpose") } ?? []
        return Policy.MigrationSettings(
            formats: formats, destinations: destinations, sources: sources, requiredPurposes: required,
            requireConsent: body.bool("require_consent") ?? true)
    }

    private func readRecords(_ top: MappingReader) -> Policy.RecordsSettings {
        let body = top.mapping("records", context: "'records'")
        body?.checkKeys(["controller", "contact", "data_subjects", "recipients", "transfers", "security_measures"])
        return Policy.RecordsSettings(
            controller: body?.string("controller"), contact: body?.string("contact"),
            dataSubjects: body?.string("data_subjects"), recipients: body?.list("recipients")?.map(\.value) ?? [],
            transfers: body?.string("transfers"), securityMeasures: body?.string("security_measures"))
    }

    // MARK: - Values

    /// Ids are the same tokens the store accepts for categories: a-z, 0-9, '-', '_', '.', starting with a letter.
    private func identifier(_ text: String, _ what: String, _ mark: Mark?) -> String? {
        let utf8 = Array(text.utf8)
        let valid =
            (1...64).contains(utf8.count) && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(utf8[0])
            && utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
        guard valid else {
            diagnostics.report(
                mark,
                "invalid \(what) '\(text.prefix(64))': use 1 to 64 characters from a-z, 0-9, '-', '_' and '.', "
                    + "starting with a letter")
            return nil
        }
        return text
    }

    private func duration(_ text: String, _ what: String, _ mark: Mark?) -> ISODuration? {
        guard let duration = ISODuration(text) else {
            diagnostics.report(
                mark,
                "invalid duration '\(text.prefix(40))' for \(what): write an ISO 8601 duration such as P30D, "
                    + "P6M, P1Y or P2W")
            return nil
        }
        return duration
    }

    private func choice<T: RawRepresentable & CaseIterable>(
        _ text: String, _ type: T.Type, _ what: String, _ mark: Mark?
    ) -> T? where T.RawValue == String {
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        let hint = Suggestion.nearest(to: text, in: names).map { "did you mean '\($0)'? " } ?? ""
        diagnostics.report(
            mark, "unknown \(what) '\(text.prefix(40))'; \(hint)use one of: \(names.joined(separator: ", "))")
        return nil
    }

    private func choices<T: RawRepresentable & CaseIterable & Hashable>(
        _ items: [(value: String, mark: Mark?)]?, _ type: T.Type, _ what: String, context: String
    ) -> Set<T> where T.RawValue == String {
        guard let items else { return [] }
        if items.isEmpty { diagnostics.report(nil, "\(context) lists no \(what); list at least one") }
        return Set(items.compactMap { choice($0.value, type, what, $0.mark) })
    }

    private func references<Value>(
        _ items: [(value: String, mark: Mark?)]?, declared: [String: Value], kind: String
    ) -> Set<String> {
        Set(
            (items ?? []).compactMap { item in
                guard declared[item.value] == nil else { return item.value }
                let names = declared.keys.sorted()
                let hint = Suggestion.nearest(to: item.value, in: names).map { "did you mean '\($0)'? " } ?? ""
                diagnostics.report(
                    item.mark,
                    "unknown \(kind) '\(item.value.prefix(64))'; \(hint)declared \(kind == "category" ? "categories" : kind + "s") "
                        + "are: \(names.isEmpty ? "none" : names.joined(separator: ", "))")
                return nil
            })
    }

    private func vocabulary(
        _ items: [(value: String, mark: Mark?)], _ known: Set<String>, _ what: String, context: String
    ) -> Set<String> {
        Set(
            items.compactMap { item in
                guard !known.contains(item.value) else { return item.value }
                let hint = Suggestion.nearest(to: item.value, in: known).map { "did you mean '\($0)'? " } ?? ""
                diagnostics.report(
                    item.mark,
                    "unknown \(what) '\(item.value.prefix(40))' in \(context); \(hint)use one of: "
                        + known.sorted().joined(separator: ", "))
                return nil
            })
    }
}
