/// Which method to try next, or how authentication failed, from the server's list, the kind of
/// credential and the attempts so far. Pure: the session makes the libssh2 calls and reports back.
struct AuthPlan: Sendable {
    /// What the credential can answer, which decides the usable methods; the secret stays out.
    enum CredentialKind: Sendable {
        case password
        case privateKey

        init(_ credential: SSHCredential) {
            switch credential {
            case .password: self = .password
            case .privateKey: self = .privateKey
            }
        }

        /// A password serves `password` and the password prompts of `keyboard-interactive`.
        func canUse(_ method: String) -> Bool {
            switch (self, method) {
            case (.password, "password"), (.password, "keyboard-interactive"), (.privateKey, "publickey"): return true
            default: return false
            }
        }

        var description: String {
            switch self {
            case .password: return "a password (password, keyboard-interactive)"
            case .privateKey: return "a private key (publickey)"
            }
        }
    }

    enum Decision {
        case attempt(method: String)
        case fail(SSHError)
    }

    let host: String
    let username: String
    let credential: CredentialKind
    /// The server's list, in its order.
    let offered: [String]
    /// Usable methods not tried yet, in the server's order.
    private(set) var remaining: [String]
    /// Methods the server rejected, in the order tried.
    private(set) var tried: [String] = []
    /// One "method: reason" per rejection, for the final message.
    private var reasons: [String] = []
    private var lastRejection: (method: String, code: Int32)?
    private var unexpectedPrompt: (text: String, code: Int32)?
    /// The password may not be sent (host_key_policy off without `--insecure-host-keys`).
    let passwordWithheld: Bool

    init(host: String, username: String, credential: CredentialKind, offered: [String], passwordWithheld: Bool = false) {
        self.host = host
        self.username = username
        self.credential = credential
        self.offered = offered
        self.passwordWithheld = passwordWithheld
        remaining = passwordWithheld ? [] : offered.filter(credential.canUse)
    }

    var decision: Decision {
        if passwordWithheld {
            return .fail(SSHError(host: host, phase: .auth, kind: .passwordWithheld,
                                  message: "host_key_policy is off, so the host key was not checked and the password was not "
                                      + "sent (the server may be anyone); pass --insecure-host-keys to send it anyway, or "
                                      + "use strict or accept-new"))
        }
        // A question other than the password fails the login even if the server let it through.
        if let prompt = unexpectedPrompt {
            return .fail(SSHError(host: host, phase: .auth, kind: .unexpectedKeyboardInteractivePrompt(prompt.text),
                                  function: Self.function(for: "keyboard-interactive"), code: prompt.code,
                                  message: "keyboard-interactive asked \"\(prompt.text)\", which is not a password prompt; not answered"))
        }
        if let next = remaining.first { return .attempt(method: next) }
        guard let last = lastRejection else {
            return .fail(SSHError(host: host, phase: .auth, kind: .authUnsupported(offered: offered),
                                  function: "libssh2_userauth_list",
                                  message: "the server offers \(offered.joined(separator: ", ")); we have \(credential.description)"))
        }
        return .fail(SSHError(host: host, phase: .auth, kind: .authRejected(methodsTried: tried),
                              function: Self.function(for: last.method), code: last.code,
                              message: "authentication as \(username) rejected: " + reasons.joined(separator: "; ")))
    }

    /// The server rejected `method` (or it was unusable, like an unreadable key file); `reason`
    /// is libssh2's text, empty when it gave none.
    mutating func rejected(_ method: String, code: Int32, reason: String) {
        if let index = remaining.firstIndex(of: method) { remaining.remove(at: index) }
        tried.append(method)
        reasons.append("\(method): \(reason.isEmpty ? "error \(code)" : reason)")
        lastRejection = (method, code)
    }

    /// Keyboard-interactive asked `text`, which is not a password prompt; the first one is kept.
    mutating func prompted(_ text: String, code: Int32) {
        if unexpectedPrompt == nil { unexpectedPrompt = (text, code) }
    }

    /// The libssh2 function behind each method, as errors name it.
    static func function(for method: String) -> String {
        switch method {
        case "password": return "libssh2_userauth_password_ex"
        case "keyboard-interactive": return "libssh2_userauth_keyboard_interactive_ex"
        default: return "libssh2_userauth_publickey_fromfile_ex"
        }
    }
}
