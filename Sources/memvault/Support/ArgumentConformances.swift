public import ArgumentParser
public import MemVault
public import MemVaultPolicy
public import MemVaultSQLite

// The library's enums parse from their raw values on the command line. Declared here because the library
// deliberately does not depend on ArgumentParser.
extension MemoryType: ExpressibleByArgument {}
extension SourceKind: ExpressibleByArgument {}
extension MemoryStatus: ExpressibleByArgument {}
extension SearchMode: ExpressibleByArgument {}
extension SQLiteConfiguration.Synchronous: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}
extension Action: ExpressibleByArgument {}
extension ConsentState: ExpressibleByArgument {}
extension ErasureRequest.Requester: ExpressibleByArgument {}
extension ErasureRequest.Ground: ExpressibleByArgument {}
extension Restriction.Ground: ExpressibleByArgument {}
