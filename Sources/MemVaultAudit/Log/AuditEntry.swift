/// One audit entry: who did what to which memories, under which decision. No personal data: the subject appears
/// only as its audit pseudonym (a keyed hash under a per-subject secret that erasure destroys), memories and cubes
/// only as ids, never content. Every string field is MemVault's own vocabulary or an id; no caller-supplied free
/// text reaches an entry.
public struct AuditEntry: Sendable, Equatable, Codable {
    /// 1 for the first entry of a log, then +1 without gaps.
    public var sequence: UInt64
    /// Milliseconds since 1970.
    public var time: Int64
    /// The credential id.
    public var actor: String
    public var role: String
    public var action: AuditAction
    /// The request's purpose, declared in the tenant's policy; empty for governance operations that take none.
    public var purpose: String
    public var subject: String?
    public var cube: String?
    /// Memories written, or returned by a read.
    public var memories: [String]
    public var effect: AuditEffect
    public var ruleIDs: [String]
    public var policyRevision: String
    public var returned: UInt64
    public var withheld: UInt64
    /// Non-personal context built by MemVault, e.g. "tenant key v2 retirement".
    public var detail: String?

    public init(
        sequence: UInt64, time: Int64, actor: String, role: String, action: AuditAction, purpose: String,
        subject: String? = nil, cube: String? = nil, memories: [String] = [], effect: AuditEffect,
        ruleIDs: [String] = [], policyRevision: String = "", returned: UInt64 = 0, withheld: UInt64 = 0,
        detail: String? = nil
    ) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.role = role
        self.action = action
        self.purpose = purpose
        self.subject = subject
        self.cube = cube
        self.memories = memories
        self.effect = effect
        self.ruleIDs = ruleIDs
        self.policyRevision = policyRevision
        self.returned = returned
        self.withheld = withheld
        self.detail = detail
    }
}
