import AuditCore
import Foundation
import SSHClient

/// Resolves a node's credential source into the secret itself, at collection time only.
enum Credentials {
    struct Problem: Error { var message: String }

    /// The node's credential as its inventory entry says.
    static func resolve(for node: InventoryNode, environment: [String: String], prompted: PromptedPasswords) throws(Problem) -> SSHCredential {
        try resolve(node.connection.credential, username: node.connection.username, environment: environment, prompted: prompted)
    }

    static func resolve(_ source: CredentialSource, username: String, environment: [String: String],
                        prompted: PromptedPasswords) throws(Problem) -> SSHCredential {
        switch source {
        case .passwordPrompt(let scope):
            return .password(try prompted.password(scope: scope, username: username).get())
        case .passwordEnv(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw Problem(message: "password_env \(name) is not set in the environment")
            }
            return .password(value)
        case .passwordFile(let path):
            return .password(try readSecretFile(path))
        case .keyFile(let path, let passphraseEnv):
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw Problem(message: "key_file \(path) is missing or unreadable")
            }
            // libssh2 reads it: a FIFO or a device would block or flood the session.
            do { try BoundedFile.check(path, limit: BoundedFile.secretLimit, what: "key_file \(path)") } catch {
                throw Problem(message: "\(error)")
            }
            var passphrase: String?
            if let name = passphraseEnv {
                guard let value = environment[name] else { throw Problem(message: "passphrase_env \(name) is not set in the environment") }
                passphrase = value
            }
            return .privateKey(path: path, passphrase: passphrase)
        case .none:
            throw Problem(message: "no credential configured (set password_env, password_file, password_prompt or key_file)")
        }
    }

    /// A password file's first line; refused when group or others may read it, or when it is not a regular file of at
    /// most 64 KiB (a FIFO or a device would block the run or fill the memory).
    static func readSecretFile(_ path: String) throws(Problem) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Problem(message: "password_file \(path) cannot be read: \(String(cString: strerror(errno)))") }
        if info.st_mode & 0o077 != 0 {
            throw Problem(message: "password_file \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it")
        }
        let data: Data
        do { data = try BoundedFile.read(path, limit: BoundedFile.secretLimit, what: "password_file \(path)") } catch {
            throw Problem(message: "\(error)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).first.map(String.init) ?? ""
        guard !line.isEmpty else { throw Problem(message: "password_file \(path) is empty") }
        return line
    }
}

extension SSHTarget {
    /// How to reach an inventory node: its address, port, user, host-key rules and phase limits.
    /// `insecureHostKeys` comes from the command line only, never from the inventory.
    init(node: InventoryNode, credential: SSHCredential, insecureHostKeys: Bool = false) {
        let c = node.connection
        self.init(host: node.host, address: c.address, port: c.port, username: c.username,
                  credential: credential, knownHostsPath: c.knownHosts,
                  hostKeyPolicy: HostKeyPolicy(rawValue: c.hostKeyPolicy.rawValue) ?? .strict,
                  insecureHostKeys: insecureHostKeys,
                  connectTimeout: Timeouts.duration(c.timeouts.connect), loginTimeout: Timeouts.duration(c.timeouts.login))
    }
}
