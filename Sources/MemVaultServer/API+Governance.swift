import Foundation
import MemVault
import MemVaultPolicy
import OpenAPIRuntime

/// Consent, legal holds, restrictions and retention: the governance of a tenant's memories.
extension API {
    func getConsentHistory(_ input: Operations.GetConsentHistory.Input) async throws
        -> Operations.GetConsentHistory.Output
    {
        await answering {
            let history = try await tenantStore(purpose: input.headers.memVaultPurpose).consentHistory(
                of: try SubjectID(input.path.subjectId))
            return .ok(.init(body: .json(.init(records: try history.map { try JSONBridge.convert($0) }))))
        }
    }

    func setConsent(_ input: Operations.SetConsent.Input) async throws -> Operations.SetConsent.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let record = try await tenantStore(purpose: input.headers.memVaultPurpose).setConsent(
                try Self.libraryValue(body.state), subject: try SubjectID(input.path.subjectId),
                purpose: input.path.consentPurpose, evidence: body.evidence)
            return .ok(.init(body: .json(try JSONBridge.convert(record))))
        }
    }

    func listHolds(_ input: Operations.ListHolds.Input) async throws -> Operations.ListHolds.Output {
        await answering {
            let holds = try await tenantStore(purpose: input.headers.memVaultPurpose).holds(
                includeCleared: input.query.includeCleared ?? false)
            return .ok(.init(body: .json(.init(holds: try holds.map { try JSONBridge.convert($0) }))))
        }
    }

    func setHold(_ input: Operations.SetHold.Input) async throws -> Operations.SetHold.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let target: HoldTarget
            switch (body.subject, body.cube) {
            case (let subject?, nil): target = .subject(try SubjectID(subject))
            case (nil, let cube?): target = .cube(try CubeID(cube))
            default: throw MemVaultError(.invalidArgument, "give exactly one of 'subject' or 'cube'")
            }
            let hold = try await tenantStore(purpose: input.headers.memVaultPurpose).setHold(
                on: target, reason: body.reason)
            return .created(.init(body: .json(try JSONBridge.convert(hold))))
        }
    }

    func clearHold(_ input: Operations.ClearHold.Input) async throws -> Operations.ClearHold.Output {
        await answering {
            let hold = try await tenantStore(purpose: input.headers.memVaultPurpose).clearHold(input.path.holdId)
            return .ok(.init(body: .json(try JSONBridge.convert(hold))))
        }
    }

    func listRestrictions(_ input: Operations.ListRestrictions.Input) async throws -> Operations.ListRestrictions.Output
    {
        await answering {
            let restrictions = try await tenantStore(purpose: nil).restrictions(
                includeLifted: input.query.includeLifted ?? false)
            return .ok(.init(body: .json(.init(restrictions: try restrictions.map { try JSONBridge.convert($0) }))))
        }
    }

    func restrictProcessing(
        _ input: Operations.RestrictProcessing.Input
    ) async throws -> Operations.RestrictProcessing.Output {
        await answering {
            guard case .json(let body) = input.body else { throw Problems.unsupportedBody }
            let restriction = try await tenantStore(purpose: nil).restrictProcessing(
                of: try SubjectID(body.subject), categories: body.categories, purposes: body.purposes ?? [],
                ground: try Self.libraryValue(body.ground))
            return .created(.init(body: .json(try JSONBridge.convert(restriction))))
        }
    }

    func liftRestriction(_ input: Operations.LiftRestriction.Input) async throws -> Operations.LiftRestriction.Output {
        await answering {
            let restriction = try await tenantStore(purpose: nil).liftRestriction(input.path.restrictionId)
            return .ok(.init(body: .json(try JSONBridge.convert(restriction))))
        }
    }

    func sweepRetention(_ input: Operations.SweepRetention.Input) async throws -> Operations.SweepRetention.Output {
        await answering {
            var (dryRun, batch) = (false, 500)
            if case .json(let body) = input.body { (dryRun, batch) = (body.dryRun ?? false, body.batch ?? 500) }
            let sweep = try await tenantStore(purpose: nil).sweepRetention(dryRun: dryRun, batch: batch)
            return .ok(.init(body: .json(try JSONBridge.convert(sweep))))
        }
    }
}
