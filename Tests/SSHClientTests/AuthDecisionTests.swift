@testable import SSHClient
import Testing

/// The choice of authentication method and the final errors, without a server.
extension SSHClientTests {
    @Suite("Authentication decisions")
    struct AuthDecisionTests {
        private func plan(_ credential: AuthPlan.CredentialKind, offered: [String]) -> AuthPlan {
            AuthPlan(host: "cuicpub", username: "admin", credential: credential, offered: offered)
        }

        private func next(_ plan: AuthPlan) -> String? {
            if case .attempt(let method) = plan.decision { return method }
            return nil
        }

        private func failure(_ plan: AuthPlan) -> SSHError? {
            if case .fail(let error) = plan.decision { return error }
            return nil
        }

        @Test func passwordTriesItsMethodsInTheServersOrder() {
            var plan = plan(.password, offered: ["publickey", "keyboard-interactive", "password"])
            #expect(next(plan) == "keyboard-interactive")
            plan.rejected("keyboard-interactive", code: -18, reason: "Authentication failed (keyboard-interactive)")
            #expect(next(plan) == "password")
            #expect(plan.tried == ["keyboard-interactive"])
        }

        @Test func everyMethodRejectedNamesThemAllWithTheLastCall() throws {
            var plan = plan(.password, offered: ["password", "keyboard-interactive", "hostbased"])
            plan.rejected("password", code: -18, reason: "Authentication failed (username/password)")
            plan.rejected("keyboard-interactive", code: -18, reason: "")
            let error = try #require(failure(plan))
            #expect(error.kind == .authRejected(methodsTried: ["password", "keyboard-interactive"]))
            #expect(error.phase == .auth)
            #expect(error.host == "cuicpub")
            #expect(error.function == "libssh2_userauth_keyboard_interactive_ex")
            #expect(error.code == -18)
            #expect(error.message == "authentication as admin rejected: password: Authentication failed (username/password); "
                + "keyboard-interactive: error -18")
        }

        @Test func privateKeyUsesOnlyPublickey() throws {
            var plan = plan(.privateKey, offered: ["password", "publickey", "keyboard-interactive"])
            #expect(next(plan) == "publickey")
            plan.rejected("publickey", code: -19, reason: "Unable to open private key file")
            let error = try #require(failure(plan))
            #expect(error.kind == .authRejected(methodsTried: ["publickey"]))
            #expect(error.function == "libssh2_userauth_publickey_fromfile_ex")
            #expect(error.code == -19)
            #expect(error.message == "authentication as admin rejected: publickey: Unable to open private key file")
        }

        @Test(arguments: [
            (AuthPlan.CredentialKind.password, ["publickey", "gssapi-with-mic"],
             "the server offers publickey, gssapi-with-mic; we have a password (password, keyboard-interactive)"),
            (.privateKey, ["password", "keyboard-interactive"],
             "the server offers password, keyboard-interactive; we have a private key (publickey)"),
        ])
        func noOfferedMethodFitsTheCredential(credential: AuthPlan.CredentialKind, offered: [String], message: String) throws {
            let error = try #require(failure(plan(credential, offered: offered)))
            #expect(error.kind == .authUnsupported(offered: offered))
            #expect(error.function == "libssh2_userauth_list")
            #expect(error.code == nil)
            #expect(error.message == message)
        }

        @Test func anUnexpectedPromptEndsTheLoginThoughMethodsRemain() throws {
            var plan = plan(.password, offered: ["keyboard-interactive", "password"])
            plan.prompted("Verification code: ", code: -18)
            plan.prompted("Second question: ", code: -37)
            let error = try #require(failure(plan))
            #expect(error.kind == .unexpectedKeyboardInteractivePrompt("Verification code: "))
            #expect(error.function == "libssh2_userauth_keyboard_interactive_ex")
            #expect(error.code == -18)
            #expect(error.message == "keyboard-interactive asked \"Verification code: \", which is not a password prompt; not answered")
        }

        @Test func anUnexpectedPromptOutranksTheRejection() throws {
            var plan = plan(.password, offered: ["keyboard-interactive"])
            plan.rejected("keyboard-interactive", code: -18, reason: "Authentication failed")
            plan.prompted("OTP: ", code: -18)
            let error = try #require(failure(plan))
            #expect(error.kind == .unexpectedKeyboardInteractivePrompt("OTP: "))
        }

        @Test func aMethodListedTwiceIsTriedTwice() {
            var plan = plan(.password, offered: ["password", "password"])
            plan.rejected("password", code: -18, reason: "")
            #expect(next(plan) == "password")
            plan.rejected("password", code: -18, reason: "")
            #expect(failure(plan)?.kind == .authRejected(methodsTried: ["password", "password"]))
        }

        @Test func credentialKindFollowsTheCredential() {
            #expect(AuthPlan.CredentialKind(.password("x")) == .password)
            #expect(AuthPlan.CredentialKind(.privateKey(path: "/k", passphrase: nil)) == .privateKey)
        }
    }
}
