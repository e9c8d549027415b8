import MemVault

/// The governance state one transaction has read, kept for the other writes of the same transaction (see
/// `TransactionState`). Values, so that saving and restoring around a savepoint is a copy.
package struct GovernanceReads: Sendable {
    struct ConsentKey: Hashable {
        let subject: SubjectID
        let purpose: String
    }

    var consents: [ConsentKey: ConsentLookup] = [:]
    var holdRegistry: (registry: HoldRegistryRecord?, anyHolds: Bool)?

    package init() {}
}
