import ArgumentParser
import AuditCore
import Collector
import Foundation
import Pipeline

struct Discover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a starter inventory from the clusters themselves: log in to each publisher, read its cluster's members, version and services.",
        discussion: """
            Each --host is a CUIC, standalone Live Data or Finesse publisher, as NAME (looked up in known_hosts and \
            connected to) or NAME=ADDRESS. Logs in as `audit` does (the same credential sources and host-key policies, \
            written back as the inventory's defaults; secrets never on the command line), runs `show version active`, \
            `utils service list` and `show network cluster`, and writes the inventory to stdout or --output. \
            Exit codes: 0 every publisher and its members read; 2 a publisher or its members not read (the inventory is \
            still written with the others, and says what is missing); 64 usage error or --output exists without --force.
            """)

    @Option(name: .long, help: "Publishers, comma-separated: NAME or NAME=ADDRESS.")
    var host: String

    @Option(name: .long, help: "The inventory cluster's name (default: the publishers' domain's first label).")
    var name: String?

    @Option(name: .long, help: "Write the inventory here instead of stdout (never over an existing file without --force).")
    var output: String?

    @Flag(name: .long, help: "Overwrite --output if it exists.")
    var force = false

    @Option(name: .long, help: "SSH user (default admin).")
    var username: String = "admin"

    @Option(name: .customLong("password-env"), help: "Environment variable holding the password.")
    var passwordEnv: String?

    @Option(name: .customLong("password-file"), help: "File holding the password (mode 600).")
    var passwordFile: String?

    @Flag(name: .customLong("password-prompt"), help: "Ask the password once on the terminal.")
    var passwordPrompt = false

    @Option(name: .customLong("key-file"), help: "Private key file.")
    var keyFile: String?

    @Option(name: .customLong("passphrase-env"), help: "Environment variable holding the key file's passphrase.")
    var passphraseEnv: String?

    @Option(name: .customLong("known-hosts"), help: "known_hosts file (default ~/.ssh/known_hosts).")
    var knownHosts: String = "~/.ssh/known_hosts"

    @Option(name: .customLong("host-key-policy"), help: "strict (default), accept-new or off, as in an inventory.")
    var hostKeyPolicy: String = "strict"

    @Option(name: .long, help: "SSH port of every node (default 22).")
    var port: Int = 22

    @Flag(name: .customLong("insecure-host-keys"), help: "With --host-key-policy off, still send the password (as audit's flag).")
    var insecureHostKeys = false

    @Option(name: .long, help: "Time limit for the whole run, in seconds.")
    var timeout: Double?

    func validate() throws {
        let credentials = [passwordEnv != nil, passwordFile != nil, passwordPrompt, keyFile != nil].filter { $0 }.count
        if credentials != 1 { throw ValidationError("give exactly one of --password-env, --password-file, --password-prompt, --key-file") }
        for env in [passwordEnv, passphraseEnv].compactMap({ $0 }) where !Self.isEnvName(env) {
            throw ValidationError("'\(env)' is not an environment variable name (the password itself never goes on the command line)")
        }
        if passphraseEnv != nil && keyFile == nil { throw ValidationError("--passphrase-env goes with --key-file") }
        if HostKeyPolicySetting(rawValue: hostKeyPolicy) == nil { throw ValidationError("--host-key-policy: use strict, accept-new or off") }
        if !(1...65535).contains(port) { throw ValidationError("--port must be in 1...65535") }
        if let name, !SafeName.isClusterName(name) { throw ValidationError("--name '\(name)' is not a cluster name: use \(SafeName.clusterRule)") }
        try checkTimeout(timeout)
        _ = try targets()
    }

    static func isEnvName(_ s: String) -> Bool {
        guard let first = s.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return s.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    func targets() throws -> [Discovery.Target] {
        let parts = host.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if parts.isEmpty { throw ValidationError("--host names no publisher") }
        var targets: [Discovery.Target] = []
        for part in parts {
            switch Discovery.Target.parse(part) {
            case .success(let t):
                if targets.contains(where: { $0.name == t.name }) { throw ValidationError("--host lists \(t.name) twice") }
                targets.append(t)
            case .failure(let e): throw ValidationError("--host \(e.description)")
            }
        }
        return targets
    }

    /// A path as the inventory will hold it: absolute (relative paths in an inventory resolve against its folder).
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") || path.hasPrefix("~") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    func run() async throws {
        if let output, !force, FileManager.default.fileExists(atPath: output) {
            Terminal.error("\(output) exists: not overwritten (--force overwrites it)")
            throw ExitCode(64)
        }
        var defaults = Discovery.Defaults(home: ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory())
        defaults.username = username
        defaults.knownHosts = Self.absolute(knownHosts)
        defaults.hostKeyPolicy = HostKeyPolicySetting(rawValue: hostKeyPolicy)!
        defaults.port = port
        if let passwordEnv { defaults.credential = .passwordEnv(passwordEnv) }
        if let passwordFile { defaults.credential = .passwordFile(Self.absolute(passwordFile)) }
        if passwordPrompt { defaults.credential = .passwordPrompt(scope: "defaults") }
        if let keyFile { defaults.credential = .keyFile(path: Self.absolute(keyFile), passphraseEnv: passphraseEnv) }
        var pipeline = DiscoverPipeline(targets: try targets(), defaults: defaults, clusterName: name)
        if let passwordEnv, ProcessInfo.processInfo.environment[passwordEnv]?.isEmpty ?? true {
            Terminal.error("password_env \(passwordEnv) is not set in the environment: no publisher can be logged in to")
            throw ExitCode(64)
        }
        pipeline.options = SSHCollector.Options(runTimeout: timeout.map { .milliseconds(Int($0 * 1000)) },
                                                passwords: TerminalPasswords.forInventory(pipeline.loginInventory),
                                                insecureHostKeys: insecureHostKeys)
        let result = await pipeline.run()
        for p in result.publishers where p.problem != nil {
            Terminal.error("\(p.target.name): \(p.problem!)")
        }
        if let output {
            do {
                try Data(result.inventoryYAML.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                Terminal.error("cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            let read = result.publishers.filter { $0.problem == nil }.count
            Terminal.write("cors-audit: wrote \(output) (\(read) of \(result.publishers.count) publisher\(result.publishers.count == 1 ? "" : "s") fully read)\n")
        } else {
            FileHandle.standardOutput.write(Data(result.inventoryYAML.utf8))
        }
        throw ExitCode(result.exitCode)
    }
}
