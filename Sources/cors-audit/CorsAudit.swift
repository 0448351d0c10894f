import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The process entry: no core dumps from here on, then the commands. Secrets (password files, prompted
/// passwords, environment passwords) are read only after this.
@main
enum Main {
    static func main() async {
        ProcessHardening.noCoreDumps()
        await CorsAudit.main()
    }
}

enum ProcessHardening {
    /// `prctl(PR_SET_DUMPABLE, 0)`: no core file, and no same-user ptrace or /proc/<pid>/mem, can expose a
    /// password once read; and a zero core size limit in case a core is written anyway. prctl is variadic in C,
    /// which Swift does not import, so it is looked up in the C library.
    static func noCoreDumps() {
        #if os(Linux)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        if let symbol = dlsym(nil, "prctl") {
            let prctl = unsafeBitCast(symbol, to: Prctl.self)
            let PR_SET_DUMPABLE: Int32 = 4
            _ = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        }
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        #endif
    }
}

struct CorsAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cors-audit",
        abstract: "Audit the CORS allowed origins of Cisco CUIC, Live Data and Finesse nodes against their Finesse origins.",
        discussion: """
            Exit codes: 0 clean; 1 findings at or above --fail-on; 2 incomplete (a node was not fully audited); \
            64 usage or inventory error.
            """,
        subcommands: [Audit.self, Probe.self, Demo.self, Discover.self, Remediate.self, HistoryCommand.self, DriftCommand.self, BaselineCommand.self,
                      InventoryCommand.self],
        defaultSubcommand: Audit.self
    )
}
