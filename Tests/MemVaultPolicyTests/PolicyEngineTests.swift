import Foundation
import MemVaultPolicy
import Testing

@Suite("Policy decisions")
struct PolicyEngineTests {
    let engine: PolicyEngine
    let now = PolicyFixtures.now

    init() throws {
        engine = try PolicyFixtures.engine()
    }

    private func request(
        _ action: Action = .read, role: Role = .application, purpose: String = "personalisation",
        category: String? = "preferences", consent: ConsentState = .given, hold: Bool = false,
        storedDaysAgo: Double = 1
    ) -> AccessRequest {
        AccessRequest(
            action: action, role: role, purpose: purpose, category: category, consent: consent, legalHold: hold,
            storedAt: now.addingTimeInterval(-storedDaysAgo * 86_400), now: now)
    }

    @Test("a decision carries its effect, rules, reason and the policy revision")
    func decisionValue() {
        let decision = engine.decide(request())
        #expect(decision.isPermitted)
        #expect(decision.ruleIDs == ["application-processing"])
        #expect(decision.policyRevision == engine.revision)
        #expect(decision.reason.contains("application-processing"))
    }

    @Test("only given and renewed consent permit processing for a consent purpose", arguments: ConsentState.allCases)
    func consentStates(state: ConsentState) {
        let decision = engine.decide(request(consent: state))
        #expect(decision.isPermitted == (state == .given || state == .renewed))
        if !decision.isPermitted {
            #expect(decision.ruleIDs == ["memvault:consent"])
            #expect(decision.reason.contains(state.rawValue))
        }
    }

    @Test("a memory past retention is never disclosed unless held, but may still be deleted")
    func retention() {
        let expired = engine.decide(request(storedDaysAgo: 800))
        #expect(!expired.isPermitted && expired.ruleIDs == ["memvault:retention"])
        #expect(engine.decide(request(hold: true, storedDaysAgo: 800)).isPermitted)
        #expect(engine.decide(request(.delete, storedDaysAgo: 800)).isPermitted)
    }

    @Test("purpose limitation, unknown purposes and categories, default deny")
    func builtInDenials() {
        #expect(engine.decide(request(purpose: "service-delivery")).ruleIDs == ["memvault:purpose-limitation"])
        #expect(engine.decide(request(purpose: "marketing")).ruleIDs == ["memvault:unknown-purpose"])
        #expect(engine.decide(request(category: "finance")).ruleIDs == ["memvault:unknown-category"])
        #expect(engine.decide(request(.export)).ruleIDs == ["memvault:default-deny"])
    }

    @Test("special categories need explicit consent and never appear in search")
    func specialCategories() {
        let withdrawn = engine.decide(request(category: "health", consent: .withdrawn))
        #expect(withdrawn.ruleIDs == ["memvault:explicit-consent"] && withdrawn.reason.contains("Art. 9(2)(a)"))
        #expect(engine.decide(request(category: "health")).isPermitted)
        #expect(engine.decide(request(.search, category: "health")).ruleIDs == ["no-search-over-health"])
    }

    @Test("legal holds block deletion and erasure")
    func legalHolds() {
        let held = engine.decide(
            request(.erase, role: .dataProtectionOfficer, purpose: "data-subject-rights", hold: true))
        #expect(held.ruleIDs == ["memvault:legal-hold"])
        #expect(
            engine.decide(request(.erase, role: .dataProtectionOfficer, purpose: "data-subject-rights")).isPermitted)
    }

    @Test("erasure exceptions keep what the law requires, until it no longer does")
    func erasureExceptions() throws {
        let support = try PolicyFixtures.engine("customer-support.yaml")
        let fresh = AccessRequest(
            action: .erase, role: .dataProtectionOfficer, purpose: "data-subject-rights", category: "invoices",
            storedAt: now.addingTimeInterval(-86_400 * 365), now: now)
        let kept = support.decide(fresh)
        #expect(kept.ruleIDs == ["memvault:erasure-exception"] && kept.reason.contains("Art. 17(3)(b)"))
        var old = fresh
        old.storedAt = now.addingTimeInterval(-86_400 * 365 * 11)
        #expect(support.decide(old).isPermitted)
        var dispute = fresh
        dispute.category = "disputes"
        #expect(support.decide(dispute).reason.contains("Art. 17(3)(e)"))
    }

    @Test("a forbid overrides every permit; roles are confined")
    func forbidOverrides() {
        let administrator = engine.decide(
            request(role: .administrator, purpose: "service-delivery", category: "general"))
        #expect(!administrator.isPermitted && administrator.ruleIDs == ["no-content-for-administrators"])
        #expect(!engine.decide(request(role: .auditor)).isPermitted)
    }
}
