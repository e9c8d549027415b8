import Foundation
import MemVault

/// Restrictions, erasure requests and retention over the HTTP API. The server carries out long work (an erasure
/// run, a sweep) within the request; its progress is reported once the answer arrives.
extension RemoteTenant {
    func restrictProcessing(
        of subject: SubjectID, categories: [String]?, purposes: [String], ground: Restriction.Ground
    ) async throws -> Restriction {
        var body: [String: JSONValue] = [
            "subject": .string(subject.rawValue), "purposes": .array(purposes.map(JSONValue.string)),
            "ground": .string(ground.rawValue),
        ]
        if let categories, !categories.isEmpty { body["categories"] = .array(categories.map(JSONValue.string)) }
        return try await client.send("POST", "v1/restrictions", body: body)
    }

    func liftRestriction(_ id: String) async throws -> Restriction {
        try await client.send("POST", "v1/restrictions/\(try Self.pathSegment(id))/lift")
    }

    func restrictions(includeLifted: Bool) async throws -> [Restriction] {
        struct Restrictions: Decodable { let restrictions: [Restriction] }
        let list: Restrictions = try await client.send(
            "GET", "v1/restrictions", query: [URLQueryItem(name: "includeLifted", value: String(includeLifted))])
        return list.restrictions
    }

    func requestErasure(
        of subject: SubjectID, categories: [String]?, requester: ErasureRequest.Requester,
        ground: ErasureRequest.Ground
    ) async throws -> ErasureRequest {
        var body: [String: JSONValue] = [
            "subject": .string(subject.rawValue), "requester": .string(requester.rawValue),
            "ground": .string(ground.rawValue),
        ]
        if let categories { body["categories"] = .array(categories.map(JSONValue.string)) }
        return try await client.send("POST", "v1/erasure-requests", body: body)
    }

    func runErasure(_ id: String, batch: Int, progress: (ErasureProgress) -> Void) async throws -> ErasureRequest {
        let request: ErasureRequest = try await client.send(
            "POST", "v1/erasure-requests/\(try Self.pathSegment(id))/run",
            query: [URLQueryItem(name: "batch", value: String(batch))])
        progress(
            ErasureProgress(
                request: request.id, step: request.step, erased: request.erasedTotal,
                retained: request.retained.reduce(0) { $0 + $1.count }))
        return request
    }

    func erasureRequestsToRun() async throws -> [ErasureRequest] {
        try await erasureRequests(query: [URLQueryItem(name: "runnable", value: "true")])
    }

    func erasureRequest(_ id: String) async throws -> ErasureRequest {
        try await client.send("GET", "v1/erasure-requests/\(try Self.pathSegment(id))")
    }

    func erasureRequests(openOnly: Bool) async throws -> [ErasureRequest] {
        try await erasureRequests(query: [URLQueryItem(name: "open", value: String(openOnly))])
    }

    private func erasureRequests(query: [URLQueryItem]) async throws -> [ErasureRequest] {
        struct Requests: Decodable { let requests: [ErasureRequest] }
        let list: Requests = try await client.send("GET", "v1/erasure-requests", query: query)
        return list.requests
    }

    func extendErasure(_ id: String) async throws -> ErasureRequest {
        try await client.send("POST", "v1/erasure-requests/\(try Self.pathSegment(id))/extend")
    }

    func erasureReceipt(_ id: String) async throws -> ErasureReceipt {
        try await client.send("GET", "v1/erasure-requests/\(try Self.pathSegment(id))/receipt")
    }

    func sweepRetention(
        dryRun: Bool, batch: Int, progress: (RetentionSweep.Category) -> Void
    ) async throws -> RetentionSweep {
        let sweep: RetentionSweep = try await client.send(
            "POST", "v1/retention/sweep",
            body: ["dryRun": JSONValue.bool(dryRun), "batch": .integer(batch)])
        sweep.categories.forEach(progress)
        return sweep
    }

    /// An id as one path segment: refused if it would reach another route (ids never hold '/', '?' or '%').
    static func pathSegment(_ id: String) throws -> String {
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw MemVaultError(.invalidArgument, "'\(id.prefix(64))' is not an id")
        }
        return id
    }
}
