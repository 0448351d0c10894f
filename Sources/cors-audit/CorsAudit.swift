import ArgumentParser

@main
struct CorsAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cors-audit",
        abstract: "Audit the CORS allowed origins of Cisco CUIC, Live Data and Finesse nodes against their Finesse origins.",
        discussion: """
            Exit codes: 0 clean; 1 findings at or above --fail-on; 2 incomplete (a node was not fully audited); \
            64 usage or inventory error.
            """,
        subcommands: [Audit.self, Probe.self, Demo.self, Remediate.self, HistoryCommand.self, DriftCommand.self, BaselineCommand.self],
        defaultSubcommand: Audit.self
    )
}
