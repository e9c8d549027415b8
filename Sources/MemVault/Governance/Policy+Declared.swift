import MemVaultPolicy

extension Policy {
    /// `names`, each a purpose the policy declares (sorted, without repeats), or an error listing the declared ones.
    func declaredPurposes(_ names: [String]) throws -> [String] {
        try Self.declared(names, in: purposes.keys, "purpose", "purposes", policy: name)
    }

    /// `names`, each a category the policy declares (sorted, without repeats), or an error listing the declared ones.
    func declaredCategories(_ names: [String]) throws -> [String] {
        try Self.declared(names, in: categories.keys, "category", "categories", policy: name)
    }

    private static func declared(
        _ names: [String], in declared: some Collection<String>, _ kind: String, _ plural: String, policy: String
    ) throws -> [String] {
        let known = Set(declared)
        if let unknown = names.first(where: { !known.contains($0) }) {
            throw MemVaultError(
                .invalidArgument,
                "unknown \(kind) '\(unknown.prefix(64))' in policy '\(policy)'; declared \(plural) are: "
                    + known.sorted().joined(separator: ", "))
        }
        return Set(names).sorted()
    }
}
