import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How one test sshd behaves: which authentication it accepts and how its VOS CLI emulator acts.
public struct SSHDInstanceConfig: Sendable {
    /// The single authentication method an instance accepts, so each test proves one path.
    public enum Auth: Sendable, Hashable {
        /// `PasswordAuthentication yes`, no PAM.
        case password
        /// Keyboard-interactive through PAM (the harness's own PAM service), no plain password.
        case keyboardInteractive
        /// Public keys from the fleet's `authorized_keys` only.
        case publicKey
    }

    public var auth: Set<Auth>
    /// Seconds between "starting up, please wait" and the banner + first prompt.
    public var startupDelay: Double
    /// Prints the start-up line and then never a prompt.
    public var neverPrompt: Bool
    /// Exits (closing the channel) once it has written this many bytes.
    public var dropAfterBytes: Int?
    /// Keeps pagination on whatever the client says: long outputs stop at the pager prompt.
    public var pager: Bool
    /// Commands answered with `Executed command unsuccessfully`.
    public var failCommands: [String]
    /// Further emulator arguments (`--cuic-origins a,b`, `--command-delay 0.5`, ...).
    public var emulatorArguments: [String]
    /// Extra `sshd_config` lines, e.g. `Ciphers chacha20-poly1305@openssh.com` to break negotiation.
    public var extraSSHDConfig: [String]
    /// Which of the fleet's host keys (`ed25519`, `ecdsa`, `rsa`) this instance serves.
    public var hostKeyTypes: [String]

    public init(auth: Set<Auth> = [.password], startupDelay: Double = 0, neverPrompt: Bool = false,
                dropAfterBytes: Int? = nil, pager: Bool = false, failCommands: [String] = [],
                emulatorArguments: [String] = [], extraSSHDConfig: [String] = [],
                hostKeyTypes: [String] = ["ed25519", "ecdsa", "rsa"]) {
        self.auth = auth
        self.startupDelay = startupDelay
        self.neverPrompt = neverPrompt
        self.dropAfterBytes = dropAfterBytes
        self.pager = pager
        self.failCommands = failCommands
        self.emulatorArguments = emulatorArguments
        self.extraSSHDConfig = extraSSHDConfig
        self.hostKeyTypes = hostKeyTypes
    }
}

/// One running sshd of a fleet.
public struct SSHDInstance: Sendable {
    /// The loopback address it listens on (127.x.y.z, never a routable address).
    public var address: String
    public var port: Int
    /// Its host keys as `keytype base64` (no host name), by key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`).
    public var hostKeys: [String: String]
    /// A key of the same type it does NOT have, to simulate a changed host key.
    public var wrongHostKey: String
    /// sshd's own log (`-e`), for diagnosing a failing test.
    public var logPath: String

    /// The name as OpenSSH writes it in known_hosts: `[name]:port` unless the port is 22.
    public func knownHostsName(_ name: String) -> String {
        port == 22 ? name : "[\(name)]:\(port)"
    }

    /// A known_hosts line for this instance under `name` (the inventory name, not the address).
    public func hostKeyLine(name: String, keyType: String = "ssh-ed25519") -> String {
        "\(knownHostsName(name)) \(hostKeys[keyType] ?? wrongHostKey)"
    }

    /// A known_hosts line for `name` with a key this instance does not have.
    public func wrongHostKeyLine(name: String) -> String {
        "\(knownHostsName(name)) \(wrongHostKey)"
    }

    /// Reads sshd's log so far (for failure messages).
    public func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }
}

/// Real OpenSSH servers on loopback addresses, each running the VOS CLI emulator as its
/// `ForceCommand`, for tests that must exercise the client against a genuine SSH implementation.
///
/// Needs root (sshd drops privileges to the test user, which the harness creates), and stops
/// every process it started (sshd, its per-connection children and the emulators) in `stop()`.
public final class SSHDFleet: @unchecked Sendable {
    /// The login account on every instance.
    /// One per test process (`corsaudit-t<pid>`): two suites running at once never share, nor reset, an account.
    public static let username = "\(Setup.accountPrefix)\(getpid())"
    /// Its password (password and keyboard-interactive instances): new for every test process, never written down,
    /// so the account, which exists only while the suite runs, cannot be logged into by anyone who read the repository.
    public static let password: String = {
        var rng = SystemRandomNumberGenerator()
        return "Ca-" + (0..<4).map { _ in String(rng.next() as UInt64, radix: 36) }.joined() + "-9!"
    }()
    public static let sshdPath = "/usr/sbin/sshd"
    public static let pythonPath = "/usr/bin/python3"

    /// Whether the tests run as root, which sshd needs to switch to the test user.
    public static var isRoot: Bool { geteuid() == 0 }

    /// Why real-sshd tests cannot run here, or nil when they can.
    public static var skipReason: String? {
        if !isRoot { return "real-sshd tests need root (sshd must switch to the test user); run as root to enable them" }
        for tool in [sshdPath, pythonPath, "/usr/bin/ssh-keygen", "/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/chpasswd"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (install openssh-server, python3 and passwd to enable real-sshd tests)"
        }
        return nil
    }

    /// The running servers, in the order of the configs given to `start`.
    public let instances: [SSHDInstance]
    /// The fleet's private directory (configs, keys, logs); removed by `stop()`.
    public let directory: String
    /// The test user's ed25519 private key (authorized on every instance); its public half is `+ ".pub"`.
    public let userKeyPath: String
    /// The test user's ECDSA private key, also authorized.
    public let userECDSAKeyPath: String
    /// The test user's RSA private key, also authorized (signs with ssh-rsa, i.e. SHA-1, under libssh2 1.10).
    public let userRSAKeyPath: String
    /// An authorized ed25519 key encrypted with `userKeyPassphrase`.
    public let userProtectedKeyPath: String
    public static let userKeyPassphrase = "corsaudit passphrase"

    private let lock = NSLock()
    private var processes: [StartedProcess]
    private var stopped = false

    private init(instances: [SSHDInstance], directory: String, keys: Keys, processes: [StartedProcess]) {
        self.instances = instances
        self.directory = directory
        userKeyPath = keys.userKey
        userECDSAKeyPath = keys.userECDSAKey
        userRSAKeyPath = keys.userRSAKey
        userProtectedKeyPath = keys.userProtectedKey
        self.processes = processes
    }

    deinit { stop() }

    /// Starts one sshd per config and returns once each accepts connections (or throws, having
    /// stopped whatever it started).
    public static func start(instances configs: [SSHDInstanceConfig]) throws -> SSHDFleet {
        if let reason = skipReason { throw HarnessError(reason) }
        try Setup.once()
        let directory = try makeDirectory()
        var started: [StartedProcess] = []
        do {
            let keys = try KeyCache.keys()
            let script = directory + "/vos_cli.py"
            try write(VOSEmulatorScript.source, to: script, mode: 0o644)
            try write(keys.authorizedKeys, to: directory + "/authorized_keys", mode: 0o644)
            var instances: [SSHDInstance] = []
            for (index, config) in configs.enumerated() {
                let (instance, process) = try startOne(index: index, config: config, directory: directory,
                                                       keys: keys, script: script)
                started.append(process)
                instances.append(instance)
            }
            return SSHDFleet(instances: instances, directory: directory, keys: keys, processes: started)
        } catch {
            for process in started { terminateTree(process) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Stops every server and everything they spawned, then removes the fleet's directory.
    /// Idempotent; bounded to a few seconds.
    public func stop() {
        lock.lock()
        if stopped { lock.unlock(); return }
        stopped = true
        let all = processes
        processes = []
        lock.unlock()
        for process in all { Self.terminateTree(process) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes a known_hosts file (mode 0600) with the given lines.
    public static func writeKnownHosts(_ lines: [String], to path: String) throws {
        try write(lines.map { $0 + "\n" }.joined(), to: path, mode: 0o600)
    }

    /// Hashes the names in a known_hosts file (`ssh-keygen -H`), as `HashKnownHosts yes` does.
    public static func hashKnownHosts(_ path: String) throws {
        try run(["/usr/bin/ssh-keygen", "-q", "-H", "-f", path])
        try? FileManager.default.removeItem(atPath: path + ".old")
    }

    // MARK: - Starting

    struct Keys {
        var hostKeyFiles: [String]
        var hostKeys: [String: String]
        var wrongHostKey: String
        var userKey: String
        var userECDSAKey: String
        var userRSAKey: String
        var userProtectedKey: String
        var authorizedKeys: String
    }

    private static func makeDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/corsaudit-sshd.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError("mkdtemp failed: errno \(errno)")
        }
        let path = String(cString: made)
        // The emulator and authorized_keys are read as the test user.
        chmod(path, 0o755)
        return path
    }

    static func generateKeys(in directory: String) throws -> Keys {
        func keygen(_ type: String, _ bits: String?, _ path: String, passphrase: String = "") throws -> String {
            var argv = ["/usr/bin/ssh-keygen", "-q", "-t", type, "-N", passphrase, "-C", "", "-f", path]
            if let bits { argv += ["-b", bits] }
            try run(argv)
            let pub = try String(contentsOfFile: path + ".pub", encoding: .utf8)
            // "type base64 [comment]" -> "type base64"
            return pub.split(separator: " ").prefix(2).joined(separator: " ")
        }
        var files: [String] = []
        var hostKeys: [String: String] = [:]
        for (type, bits) in [("ed25519", nil), ("ecdsa", "256"), ("rsa", "2048")] as [(String, String?)] {
            let path = directory + "/ssh_host_\(type)_key"
            let line = try keygen(type, bits, path)
            files.append(path)
            hostKeys[String(line.split(separator: " ")[0])] = line
        }
        let wrong = try keygen("ed25519", nil, directory + "/other_host_ed25519_key")
        let userKey = directory + "/user_ed25519"
        let userLine = try keygen("ed25519", nil, userKey)
        let userECDSA = directory + "/user_ecdsa"
        let ecdsaLine = try keygen("ecdsa", "256", userECDSA)
        let userRSA = directory + "/user_rsa"
        let rsaLine = try keygen("rsa", "2048", userRSA)
        let protected = directory + "/user_ed25519_protected"
        let protectedLine = try keygen("ed25519", nil, protected, passphrase: userKeyPassphrase)
        return Keys(hostKeyFiles: files, hostKeys: hostKeys, wrongHostKey: wrong, userKey: userKey,
                    userECDSAKey: userECDSA, userRSAKey: userRSA, userProtectedKey: protected,
                    authorizedKeys: [userLine, ecdsaLine, rsaLine, protectedLine].map { $0 + "\n" }.joined())
    }

    private static func startOne(index: Int, config: SSHDInstanceConfig, directory: String, keys: Keys,
                                 script: String) throws -> (SSHDInstance, StartedProcess) {
        var lastError: Error = HarnessError("sshd did not start")
        // A port found free can be taken before sshd binds it: retry on a fresh one.
        for _ in 0..<3 {
            let address = LoopbackAddresses.next()
            guard let port = LoopbackAddresses.freePort(on: address) else { continue }
            let base = "\(directory)/sshd\(index)"
            let configPath = base + ".config"
            try write(sshdConfig(config, address: address, port: port, directory: directory, keys: keys, script: script),
                      to: configPath, mode: 0o600)
            // sshd names its PAM service after its program name: our symlink selects our PAM file.
            let program = config.auth.contains(.keyboardInteractive) ? try Setup.pamSSHD(in: directory) : sshdPath
            // `-e`: the log goes to standard error.
            let process = try StartedProcess(program, ["-D", "-e", "-f", configPath])
            let instance = SSHDInstance(address: address, port: port, hostKeys: keys.hostKeys,
                                        wrongHostKey: keys.wrongHostKey, logPath: process.stderrPath)
            if waitUntilAccepting(address: address, port: port, process: process, limit: .seconds(5)) {
                return (instance, process)
            }
            lastError = HarnessError("sshd on \(address):\(port) did not accept connections: \(instance.log())")
            terminateTree(process)
        }
        throw lastError
    }

    private static func sshdConfig(_ config: SSHDInstanceConfig, address: String, port: Int, directory: String,
                                   keys: Keys, script: String) -> String {
        var emulator = [pythonPath, script, "--startup-delay", String(config.startupDelay)]
        if config.neverPrompt { emulator.append("--never-prompt") }
        if let bytes = config.dropAfterBytes { emulator += ["--drop-after-bytes", String(bytes)] }
        if config.pager { emulator.append("--pager") }
        for command in config.failCommands { emulator += ["--fail-command", "'\(command)'"] }
        emulator += config.emulatorArguments
        let yesNo = { (on: Bool) in on ? "yes" : "no" }
        var lines = [
            "ListenAddress \(address):\(port)",
            "PidFile none",
            "UsePAM \(yesNo(config.auth.contains(.keyboardInteractive)))",
            "PasswordAuthentication \(yesNo(config.auth.contains(.password)))",
            "KbdInteractiveAuthentication \(yesNo(config.auth.contains(.keyboardInteractive)))",
            "PubkeyAuthentication \(yesNo(config.auth.contains(.publicKey)))",
            "AuthorizedKeysFile \(directory)/authorized_keys",
            "StrictModes no",
            "PermitRootLogin no",
            "AllowUsers \(username)",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            "LoginGraceTime 30",
            // Many clients at once from the same address: the default 10:30:100 drops most of them.
            "MaxStartups 2000",
            "LogLevel VERBOSE",
            // libssh2 1.10 verifies RSA host keys and signs RSA user keys only with SHA-1.
            "HostKeyAlgorithms +ssh-rsa",
            "PubkeyAcceptedAlgorithms +ssh-rsa",
            "ForceCommand \(emulator.joined(separator: " "))",
        ]
        lines += keys.hostKeyFiles
            .filter { file in config.hostKeyTypes.contains { file.hasSuffix("ssh_host_\($0)_key") } }
            .map { "HostKey \($0)" }
        // sshd keeps the first value of a keyword, so overrides go first.
        return (config.extraSSHDConfig + lines).joined(separator: "\n") + "\n"
    }

    private static func waitUntilAccepting(address: String, port: Int, process: StartedProcess, limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if !process.isRunning { return false }
            if LoopbackAddresses.canConnect(address: address, port: port) {
                // Another test process may own the same address and port: our sshd then fails to bind
                // and exits, so it must still be running a moment after the port answered.
                usleep(100_000)
                return process.isRunning
            }
            usleep(10_000)
        }
        return false
    }

    // MARK: - Stopping

    /// Kills a server and all its descendants (per-connection sshd children call setsid, so a
    /// process-group kill would miss them; the parent chain in /proc does not).
    static func terminateTree(_ process: StartedProcess) {
        let pid = process.pid
        guard pid > 0 else { return }
        // Frozen, the listener cannot fork new children while we collect the tree.
        kill(pid, SIGSTOP)
        let descendants = ProcessTree.descendants(of: pid)
        for child in descendants { kill(child, SIGKILL) }
        kill(pid, SIGKILL)
        kill(pid, SIGCONT)
        _ = try? process.finish(timeout: .seconds(3))
    }

    /// Runs a short helper program (ssh-keygen, useradd, chpasswd), bounded so a wedged tool fails the test
    /// instead of hanging the suite.
    @discardableResult
    static func run(_ argv: [String], input: String? = nil, check: Bool = true) throws -> ProcessResult {
        let result = try runProcess(argv[0], Array(argv.dropFirst()), stdin: input, timeout: .seconds(20))
        if check && result.status != 0 {
            throw HarnessError("\(argv.joined(separator: " ")) failed (\(result.status)): \(result.stderr)\(result.stdout)")
        }
        return result
    }

    static func write(_ text: String, to path: String, mode: mode_t) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: Int(mode)]) else {
            throw HarnessError("cannot write \(path)")
        }
        chmod(path, mode)
    }
}

/// Keys are generated once per test process (RSA generation alone costs a good part of a second)
/// and shared by every fleet; the directory goes away when the process exits.
enum KeyCache {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: SSHDFleet.Keys?
    nonisolated(unsafe) private static var directory: String?

    static func keys() throws -> SSHDFleet.Keys {
        lock.lock(); defer { lock.unlock() }
        if let cached { return cached }
        var template = Array((NSTemporaryDirectory() + "/corsaudit-keys.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError("mkdtemp failed: errno \(errno)")
        }
        let path = String(cString: made)
        directory = path
        atexit { KeyCache.removeDirectory() }
        let keys = try SSHDFleet.generateKeys(in: path)
        cached = keys
        return keys
    }

    private static func removeDirectory() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// One-time, process-wide system setup: the test user and a PAM service of our own.
enum Setup {
    static let accountPrefix = "corsaudit-t"
    static let pamPrefix = "corsaudit-sshd-"
    static var pamService: String { "\(pamPrefix)\(getpid())" }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false

    static func once() throws {
        lock.lock(); defer { lock.unlock() }
        if done { return }
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        // Runs that were killed left their accounts and PAM files: remove those whose process is gone, then start afresh.
        removeStaleAccounts()
        removeAccount()
        let added = try SSHDFleet.run(["/usr/sbin/useradd", "-m", "-s", "/bin/sh", "-c", "cors-audit test harness (removed at exit)",
                                       SSHDFleet.username], check: false)
        guard added.status == 0 else { throw HarnessError("useradd \(SSHDFleet.username) failed: \(added.stderr)\(added.stdout)") }
        atexit { Setup.removeAccount() }
        try SSHDFleet.run(["/usr/sbin/chpasswd"], input: "\(SSHDFleet.username):\(SSHDFleet.password)\n")
        // The distribution's /etc/pam.d/sshd pulls in modules (pam_loginuid, pam_selinux, ...)
        // that can fail in containers; ours only checks the password.
        let pam = """
            # cors-audit test harness: keyboard-interactive through pam_unix only; removed when the suite exits.
            auth     required pam_unix.so
            account  required pam_permit.so
            session  required pam_permit.so
            password required pam_deny.so

            """
        try SSHDFleet.write(pam, to: pamFile, mode: 0o644)
        done = true
    }

    static var pamFile: String { "/etc/pam.d/\(pamService)" }

    /// Removes this process's test account (its home and mail too) and PAM file; what is absent is skipped. Its
    /// processes were stopped with their fleets; `-f` covers one that lingers.
    static func removeAccount() { remove(account: SSHDFleet.username, pam: pamFile) }

    static func remove(account: String, pam: String) {
        if (try? SSHDFleet.run(["/usr/bin/id", "-u", account], check: false))?.status == 0 {
            _ = try? SSHDFleet.run(["/usr/sbin/userdel", "-r", "-f", account], check: false)
        }
        try? FileManager.default.removeItem(atPath: pam)
    }

    /// Accounts and PAM files of test processes that no longer run, and the single fixed account older harnesses made.
    static func removeStaleAccounts() {
        let passwd = (try? String(contentsOfFile: "/etc/passwd", encoding: .utf8)) ?? ""
        var pids: Set<Int32> = []
        for line in passwd.split(separator: "\n") where line.hasPrefix(accountPrefix) {
            let name = line.prefix { $0 != ":" }
            if let pid = Int32(name.dropFirst(accountPrefix.count)) { pids.insert(pid) }
        }
        for file in (try? FileManager.default.contentsOfDirectory(atPath: "/etc/pam.d")) ?? [] where file.hasPrefix(pamPrefix) {
            if let pid = Int32(file.dropFirst(pamPrefix.count)) { pids.insert(pid) }
        }
        for pid in pids where pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
            remove(account: "\(accountPrefix)\(pid)", pam: "/etc/pam.d/\(pamPrefix)\(pid)")
        }
        remove(account: "corsaudit-test", pam: "/etc/pam.d/corsaudit-sshd")
    }

    /// A symlink to sshd named after our PAM service: sshd uses its program name as PAM service.
    /// (An absolute path, as sshd re-executes itself for every connection.)
    static func pamSSHD(in directory: String) throws -> String {
        let path = directory + "/" + pamService
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: SSHDFleet.sshdPath)
        }
        return path
    }
}

/// Walks /proc to find a process's descendants.
enum ProcessTree {
    static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "comm)": state ppid ...; comm may contain spaces, hence the last ")".
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            guard rest.count > 1, let ppid = pid_t(rest[1]) else { continue }
            children[ppid, default: []].append(pid)
        }
        var result: [pid_t] = []
        var queue = [root]
        while let next = queue.popLast() {
            for child in children[next] ?? [] {
                result.append(child)
                queue.append(child)
            }
        }
        return result
    }
}
