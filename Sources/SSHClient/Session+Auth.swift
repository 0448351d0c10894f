import CLibssh2

/// What the keyboard-interactive callback needs. libssh2 calls it as a plain C function, so it
/// finds this object through the session's abstract pointer (given to `libssh2_session_init_ex`).
final class AuthContext {
    let password: [UInt8]?
    /// The first prompt that was not a password prompt; its presence fails the login.
    var unexpectedPrompt: String?

    init(password: String?) {
        self.password = password.map { Array($0.utf8) }
    }

    /// Answers password prompts with the password and nothing else: any other question (an OTP,
    /// a confirmation) is recorded and answered empty so the login fails. An expired password's
    /// "New password:" is not a login prompt either: an audit never changes a password.
    func answers(to prompts: [String]) -> [[UInt8]] {
        prompts.map { text in
            let lower = text.lowercased()
            if lower.contains("password"), !lower.contains("new"), let password { return password }
            if unexpectedPrompt == nil { unexpectedPrompt = text }
            return []
        }
    }
}

/// libssh2's keyboard-interactive callback: a C function, so its context comes through the
/// session's abstract pointer.
let keyboardInteractiveResponder: cors_kbdint_callback = { _, _, _, _, count, prompts, responses, abstract in
    guard let abstract, let raw = abstract.pointee, let prompts, let responses else { return }
    let context = Unmanaged<AuthContext>.fromOpaque(raw).takeUnretainedValue()
    let texts = (0..<Int(max(count, 0))).map { index in
        prompts[index].text.map {
            String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(prompts[index].length)), as: UTF8.self)
        } ?? ""
    }
    for (index, answer) in context.answers(to: texts).enumerated() {
        answer.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                cors_kbdint_set_response(responses, Int32(index), $0.baseAddress, UInt32($0.count))
            }
        }
    }
}

/// Authentication: the libssh2 calls; `AuthPlan` decides which method and when to give up.
extension Session {
    func listAuthMethods(_ login: Login, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        let session = login.transport.session
        let user = Array(target.username.utf8)
        let list = user.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                libssh2_userauth_list(session, $0.baseAddress, UInt32($0.count))
            }
        }
        if list == nil && libssh2_userauth_authenticated(session) != 0 {
            // The server accepted "none": no credential needed.
            info.authMethod = "none"
            mark("auth", now)
            state = .openingChannel(login)
            return true
        }
        guard case .done(let methods) = try libssh2CheckPointer(list, function: "libssh2_userauth_list",
                                                                  session: session, host: target.host, phase: .auth)
        else { return false }
        let plan = AuthPlan(host: target.host, username: target.username,
                            credential: AuthPlan.CredentialKind(target.credential),
                            offered: String(cString: methods).split(separator: ",").map(String.init),
                            passwordWithheld: target.withholdsPassword)
        state = .authenticating(login, plan)
        return true
    }

    func authenticate(_ login: Login, _ plan: AuthPlan, now: ContinuousClock.Instant) throws(SSHError) -> Bool {
        var plan = plan
        let method: String
        switch plan.decision {
        case .attempt(let next): method = next
        case .fail(let failure): throw failure
        }
        let session = login.transport.session
        let rc = userauth(method, session: session)
        if let prompt = auth.unexpectedPrompt {
            plan.prompted(prompt, code: rc)
            state = .authenticating(login, plan)
            if case .fail(let failure) = plan.decision { throw failure }
        }
        if rc == CORS_LIBSSH2_ERROR_EAGAIN { return false }
        if rc == 0 {
            info.authMethod = method
            mark("auth", now)
            state = .openingChannel(login)
            return true
        }
        let message = LibSSH2.lastErrorMessage(session)
        if case .disconnected = Self.transportKind(rc) {
            throw SSHError(host: target.host, phase: .auth, kind: .disconnected, function: AuthPlan.function(for: method),
                           code: rc, message: message)
        }
        // Rejected (or unusable, like an unreadable key file): the plan moves to the next method.
        plan.rejected(method, code: rc, reason: message)
        state = .authenticating(login, plan)
        if case .fail(let failure) = plan.decision { throw failure }
        return true
    }

    /// One non-blocking try of `method` with the target's credential.
    private func userauth(_ method: String, session: OpaquePointer) -> Int32 {
        let user = Array(target.username.utf8)
        return user.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { name in
                switch (method, target.credential) {
                case ("password", .password(let password)):
                    let secret = Array(password.utf8)
                    return secret.withUnsafeBufferPointer { pw in
                        pw.withMemoryRebound(to: CChar.self) {
                            cors_libssh2_userauth_password(session, name.baseAddress, UInt32(name.count),
                                                           $0.baseAddress, UInt32($0.count))
                        }
                    }
                case ("keyboard-interactive", _):
                    return cors_libssh2_userauth_keyboard_interactive(session, name.baseAddress, UInt32(name.count),
                                                                      keyboardInteractiveResponder)
                case ("publickey", .privateKey(let path, let passphrase)):
                    // NULL public key: libssh2 derives it from the private key file.
                    return cors_libssh2_userauth_publickey_fromfile(session, name.baseAddress, UInt32(name.count),
                                                                    nil, path, passphrase)
                default:
                    return CORS_LIBSSH2_ERROR_METHOD_NONE
                }
            }
        }
    }
}
