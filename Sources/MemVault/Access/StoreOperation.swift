public import MemVaultAudit
public import MemVaultPolicy

/// Every operation MemVault offers, and how each is authorised: the one place role sets are spelled.
///
/// An operation is either decided by the tenant's policy (data operations: the policy's rules say which role may
/// do what for which purpose) or confined to roles (identity, consent, holds, audit, keys, tenants). Either way it
/// runs through `Authorizer` — decide, act, record — and lands in an audit log. `docs/role-matrix.md` lists every
/// role against every operation; a test checks that table against what the store does.
public enum StoreOperation: String, CaseIterable, Sendable, Comparable {
    // The installation: recorded in the installation audit log.
    case createTenant = "tenant create"
    case listTenants = "tenant list"
    case setTenantPolicy = "tenant set-policy"
    case setTenantQuotas = "tenant set-quotas"
    case deleteTenant = "tenant delete"
    case moveTenant = "tenant move"
    case readKeyStatus = "keys status"
    case createCredential = "credential create"
    case listCredentials = "credential list"
    case revokeCredential = "credential revoke"
    case rotateTenantKey = "keys rotate"
    case rewrapDataKeys = "keys rewrap"
    case retireTenantKey = "keys retire"
    // A tenant's subjects, cubes and memories: recorded in the tenant's audit log.
    case resolveSubject = "subject resolve"
    case readSubject = "subject read"
    case readExternalID = "subject external-id"
    case createCube = "cube create"
    case readCube = "cube get"
    case listCubes = "cube list"
    case deleteCube = "cube delete"
    case addMemories = "memory add"
    case readMemory = "memory get"
    case listMemories = "memory list"
    case searchMemories = "memory search"
    case embedMemories = "memory embed"
    case readEmbeddingBacklog = "index status"
    case resetEmbeddings = "index reembed"
    case readHistory = "memory history"
    case updateMemory = "memory update"
    case archiveMemory = "memory archive"
    case deleteMemory = "memory delete"
    // Moving memories across the tenant's boundary (docs/portability.md).
    case migrateCube = "cube migrate"
    case exportCube = "cube export"
    case importCube = "cube import"
    case exportSubject = "subject export"
    // Memory modules: signed, read-only shared cubes from trusted publishers.
    case trustPublisher = "module trust"
    case signModule = "module sign"
    case installModule = "module install"
    case uninstallModule = "module uninstall"
    case listModules = "module list"
    case recordConsent = "consent record"
    case readConsent = "consent list"
    case setHold = "hold set"
    case clearHold = "hold clear"
    case listHolds = "hold list"
    case sweepRetention = "retention sweep"
    case restrictProcessing = "restriction set"
    case liftRestriction = "restriction lift"
    case listRestrictions = "restriction list"
    case requestErasure = "erase request"
    case extendErasure = "erase extend"
    case readErasure = "erase status"
    case runErasure = "erase run"
    // Audit logs (a tenant's or the installation's).
    case readAuditLog = "audit log"
    case verifyAuditLog = "audit verify"
    case proveAuditLog = "audit prove"
    case signAuditCheckpoint = "audit checkpoint"
    case readVerifierKey = "audit key"

    public static func < (lhs: StoreOperation, rhs: StoreOperation) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// How an operation is decided.
    public enum Authority: Sendable, Equatable {
        /// By the tenant's policy, as this policy action.
        case policy(Action)
        /// By role alone.
        case roles(Set<Role>)
    }

    static let auditRoles: Set<Role> = [.auditor, .dataProtectionOfficer, .administrator]
    static let keyRoles: Set<Role> = [.administrator, .dataProtectionOfficer]
    static let identityRoles: Set<Role> = [.application, .dataProtectionOfficer, .administrator]
    static let consentRoles: Set<Role> = [.application, .dataProtectionOfficer]
    static let holdRoles: Set<Role> = [.administrator, .dataProtectionOfficer]
    static let dataSubjectRightsRoles: Set<Role> = [.dataProtectionOfficer]
    /// Who may follow erasure requests and read their receipts: the officer, operators and auditors (no content).
    static let erasureReaderRoles: Set<Role> = [.dataProtectionOfficer, .administrator, .auditor]

    public var authority: Authority {
        switch self {
        case .createTenant, .setTenantPolicy, .setTenantQuotas, .deleteTenant, .moveTenant, .createCredential,
            .revokeCredential:
            .roles([.administrator])
        case .listCredentials: .roles([.administrator, .auditor])
        case .listTenants, .readKeyStatus: .roles(Self.auditRoles)
        case .rotateTenantKey, .rewrapDataKeys, .retireTenantKey: .roles(Self.keyRoles)
        case .resolveSubject, .readSubject: .roles(Self.identityRoles)
        case .readExternalID, .readCube, .listCubes, .readMemory, .listMemories, .readHistory, .readEmbeddingBacklog:
            .policy(.read)
        case .searchMemories: .policy(.search)
        case .createCube, .addMemories, .embedMemories: .policy(.write)
        case .updateMemory, .archiveMemory, .resetEmbeddings: .policy(.update)
        case .deleteCube, .deleteMemory: .policy(.delete)
        // A sealed bundle never shows its content to whoever moves it; a plaintext export does, so it is an export.
        case .migrateCube, .importCube: .policy(.migrate)
        case .exportCube, .exportSubject: .policy(.export)
        case .trustPublisher, .signModule, .installModule, .uninstallModule: .roles([.administrator])
        case .listModules: .roles(Set(Role.allCases))
        case .recordConsent, .readConsent: .roles(Self.consentRoles)
        case .setHold, .clearHold, .listHolds, .sweepRetention, .listRestrictions: .roles(Self.holdRoles)
        case .restrictProcessing, .liftRestriction, .requestErasure, .extendErasure:
            .roles(Self.dataSubjectRightsRoles)
        case .readErasure: .roles(Self.erasureReaderRoles)
        case .runErasure: .policy(.erase)
        case .readAuditLog, .verifyAuditLog, .proveAuditLog, .signAuditCheckpoint, .readVerifierKey:
            .roles(Self.auditRoles)
        }
    }

    /// Operations that process a tenant's personal data need a purpose the tenant's policy declares; governance
    /// operations take none.
    public var needsPurpose: Bool {
        switch self {
        case .createTenant, .listTenants, .setTenantPolicy, .setTenantQuotas, .deleteTenant, .moveTenant,
            .readKeyStatus, .createCredential, .listCredentials, .revokeCredential, .rotateTenantKey,
            .rewrapDataKeys, .retireTenantKey, .readAuditLog, .verifyAuditLog, .proveAuditLog, .signAuditCheckpoint,
            .readVerifierKey, .sweepRetention, .restrictProcessing, .liftRestriction, .listRestrictions,
            .requestErasure, .extendErasure, .readErasure, .trustPublisher, .signModule, .uninstallModule,
            .listModules:
            false
        default: true
        }
    }

    /// Operations on the installation rather than one tenant's records.
    public var isInstallationOperation: Bool {
        switch self {
        case .createTenant, .listTenants, .setTenantPolicy, .setTenantQuotas, .deleteTenant, .moveTenant,
            .readKeyStatus, .createCredential, .listCredentials, .revokeCredential:
            true
        default: false
        }
    }

    public var auditAction: AuditAction {
        switch self {
        case .createTenant, .listTenants, .setTenantPolicy, .setTenantQuotas, .deleteTenant, .moveTenant: .tenant
        case .createCredential, .listCredentials, .revokeCredential: .credential
        case .readKeyStatus, .rotateTenantKey, .rewrapDataKeys, .retireTenantKey: .key
        case .resolveSubject, .readSubject: .subject
        case .readExternalID, .readCube, .listCubes, .readMemory, .listMemories, .readHistory, .readEmbeddingBacklog:
            .read
        case .searchMemories: .search
        case .createCube, .addMemories, .embedMemories: .write
        case .updateMemory, .archiveMemory, .resetEmbeddings: .update
        case .deleteCube, .deleteMemory, .sweepRetention: .delete
        case .migrateCube: .migrate
        case .exportCube, .exportSubject: .export
        case .trustPublisher, .signModule, .installModule, .uninstallModule, .listModules: .module
        case .importCube: .import
        case .recordConsent, .readConsent: .consent
        case .setHold, .clearHold, .listHolds: .hold
        case .restrictProcessing, .liftRestriction, .listRestrictions: .restriction
        case .requestErasure, .extendErasure, .readErasure, .runErasure: .erase
        case .readAuditLog, .verifyAuditLog, .proveAuditLog, .signAuditCheckpoint, .readVerifierKey: .audit
        }
    }

    /// What a denial says the role may not do.
    var summary: String {
        switch self {
        case .createTenant: "create tenants"
        case .listTenants: "list tenants"
        case .setTenantPolicy: "change a tenant's policy"
        case .setTenantQuotas: "change a tenant's quotas"
        case .deleteTenant: "delete tenants"
        case .moveTenant: "move tenants between database servers"
        case .readKeyStatus: "read the key status"
        case .createCredential: "create credentials"
        case .listCredentials: "list credentials"
        case .revokeCredential: "revoke credentials"
        case .rotateTenantKey: "rotate the tenant key"
        case .rewrapDataKeys: "re-wrap data keys"
        case .retireTenantKey: "retire tenant keys"
        case .resolveSubject: "resolve subjects"
        case .readSubject: "look up subjects"
        case .readExternalID: "read external ids"
        case .createCube: "create cubes"
        case .readCube: "read cubes"
        case .listCubes: "list cubes"
        case .deleteCube: "delete cubes"
        case .addMemories: "add memories"
        case .readMemory: "read memories"
        case .listMemories: "list memories"
        case .searchMemories: "search memories"
        case .embedMemories: "embed memories"
        case .readEmbeddingBacklog: "read the embedding backlog"
        case .resetEmbeddings: "reset embeddings"
        case .readHistory: "read memory history"
        case .updateMemory: "update memories"
        case .archiveMemory: "archive memories"
        case .deleteMemory: "delete memories"
        case .migrateCube: "migrate cubes"
        case .exportCube: "export cubes"
        case .importCube: "import cubes"
        case .exportSubject: "export a subject's data"
        case .trustPublisher: "trust module publishers"
        case .signModule: "sign modules"
        case .installModule: "install modules"
        case .uninstallModule: "uninstall modules"
        case .listModules: "list modules"
        case .recordConsent: "record consent"
        case .readConsent: "read consent records"
        case .setHold: "set legal holds"
        case .clearHold: "clear legal holds"
        case .listHolds: "list legal holds"
        case .sweepRetention: "sweep expired memories"
        case .restrictProcessing: "restrict processing"
        case .liftRestriction: "lift restrictions"
        case .listRestrictions: "list restrictions"
        case .requestErasure: "file erasure requests"
        case .extendErasure: "extend erasure deadlines"
        case .readErasure: "read erasure requests"
        case .runErasure: "carry out erasure requests"
        case .readAuditLog: "read the audit log"
        case .verifyAuditLog: "verify the audit log"
        case .proveAuditLog: "read audit proofs"
        case .signAuditCheckpoint: "sign checkpoints"
        case .readVerifierKey: "read the audit verifier key"
        }
    }
}
