import ArgumentParser

/// `vos-sim`: simulated Cisco VOS nodes (CUIC, Live Data, Finesse) over real SSH on loopback.
@main
struct VOSSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vos-sim",
        abstract: "Serve simulated VOS nodes over SSH and HTTPS on loopback, for cors-audit's tests, benchmarks and demo.",
        discussion: """
            The password every node accepts comes from the VOS_SIM_PASSWORD environment variable \
            (never from the command line). After start-up it writes OUT/inventory.yaml, \
            OUT/known_hosts and OUT/ca.pem (the CA of the nodes' HTTPS certificates) for the client, prints one line per node, then `ready`, and serves until \
            SIGINT/SIGTERM (or stdin closes, with --exit-on-stdin-eof).
            """,
        subcommands: [Serve.self, Fleet.self],
        defaultSubcommand: Serve.self
    )
}
