import Foundation
import MemVaultCrypto

/// The revision of a policy: SHA-256 over its canonical JSON form (sorted keys, sorted lists, rules by id,
/// durations as written). Two files that mean the same policy have the same revision, whatever their order,
/// comments or formatting.
enum PolicyRevision {
    static func compute(_ policy: Policy) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: canonical(policy), options: [.sortedKeys])
        return Hex.encode(try SHA256.hash(Array(data)))
    }

    static func canonical(_ policy: Policy) -> [String: Any] {
        [
            "language": PolicyLoader.languageVersion,
            "name": policy.name,
            "purposes": policy.purposes.mapValues { ["legal_basis": $0.legalBasis.rawValue] },
            "categories": policy.categories.mapValues { category -> [String: Any] in
                var value: [String: Any] = [
                    "purposes": category.purposes.sorted(), "special_category": category.specialCategory,
                ]
                if let retention = category.retention { value["retention"] = retention.text }
                if let exception = category.erasureException {
                    value["erasure_exception"] = [
                        "basis": exception.basis.rawValue, "keep_for": exception.keepFor.text,
                        "purposes": exception.purposes.sorted(),
                    ]
                }
                return value
            },
            "rules": policy.rules.map { rule -> [String: Any] in
                var value: [String: Any] = [
                    "id": rule.id, "effect": rule.effect.rawValue, "actions": rule.actions.map(\.rawValue).sorted(),
                    "roles": rule.roles.map(\.rawValue).sorted(),
                ]
                if let purposes = rule.purposes { value["purposes"] = purposes.sorted() }
                var conditions: [String: Any] = [:]
                if let categories = rule.conditions.categories { conditions["categories"] = categories.sorted() }
                if let consent = rule.conditions.consent { conditions["consent"] = consent.map(\.rawValue).sorted() }
                if let hold = rule.conditions.legalHold { conditions["legal_hold"] = hold }
                if let types = rule.conditions.memoryTypes { conditions["memory_types"] = types.sorted() }
                if let sources = rule.conditions.sources { conditions["sources"] = sources.sorted() }
                if let special = rule.conditions.specialCategory { conditions["special_category"] = special }
                value["conditions"] = conditions
                return value
            },
            "erasure": ["deadline": policy.erasure.deadline.text, "covers": policy.erasure.covers.sorted()],
            "migration": [
                "formats": policy.migration.formats.sorted(), "destinations": policy.migration.destinations.sorted(),
                "sources": policy.migration.sources.sorted(),
                "required_purposes": policy.migration.requiredPurposes.sorted(),
                "require_consent": policy.migration.requireConsent,
            ],
        ]
    }
}
