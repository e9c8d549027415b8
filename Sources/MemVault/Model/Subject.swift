public import Foundation

/// An end user of a tenant. Known outside by the tenant's external id, which MemVault keeps only encrypted; looked
/// up by a keyed pseudonym of that id.
public struct Subject: Sendable, Equatable, Codable {
    public let id: SubjectID
    /// HMAC of the external id under the tenant's pseudonym key; stable, and meaningless without that key.
    public let pseudonym: String
    public let createdAt: Date
}
