@testable import SSHClient
import Testing

/// The client's pieces that need no server at all: keyboard-interactive answers, known_hosts names, algorithm
/// offers, error texts, an empty run.
extension SSHClientTests {
    @Suite("SSH client units")
    struct ClientWithoutServerTests {
        @Test func keyboardInteractiveAnswersOnlyPasswordPrompts() {
            let context = AuthContext(password: "s3cret")
            #expect(context.answers(to: ["Password: "]) == [Array("s3cret".utf8)])
            #expect(context.answers(to: ["admin's PASSWORD:"]) == [Array("s3cret".utf8)])
            #expect(context.unexpectedPrompt == nil)
            #expect(context.answers(to: ["Verification code: "]) == [[]])
            #expect(context.unexpectedPrompt == "Verification code: ")
        }

        @Test func keyboardInteractiveNeverAnswersAPasswordChange() {
            let context = AuthContext(password: "s3cret")
            #expect(context.answers(to: ["New password: "]) == [[]])
            #expect(context.unexpectedPrompt == "New password: ")
        }

        @Test func keyboardInteractiveWithoutAPasswordAnswersNothing() {
            let context = AuthContext(password: nil)
            #expect(context.answers(to: ["Password: "]) == [[]])
            #expect(context.unexpectedPrompt == "Password: ")
        }

        @Test func knownHostsNameUsesBracketsOffPort22() {
            let target = SSHTarget(host: "cuic1.example", address: "10.0.0.1", port: 22, username: "admin",
                                   credential: .password("x"))
            #expect(target.knownHostsName == "cuic1.example")
            var other = target
            other.port = 2222
            #expect(other.knownHostsName == "[cuic1.example]:2222")
        }

        @Test func offersWithoutOverlapNameTheFamily() {
            let ours = AlgorithmOffer(kex: ["curve25519-sha256", "diffie-hellman-group14-sha1"], hostKey: ["ssh-ed25519", "ssh-rsa"],
                                      ciphers: ["aes256-ctr"], macs: ["hmac-sha2-256"])
            let old = AlgorithmOffer(kex: ["diffie-hellman-group14-sha1", "ext-info-s"], hostKey: ["ssh-rsa"],
                                     ciphers: ["aes256-ctr"], macs: ["hmac-sha2-256"])
            #expect(ours.familiesWithoutOverlap(old).isEmpty)
            let modern = AlgorithmOffer(kex: ["sntrup761x25519-sha512", "kex-strict-s-v00@openssh.com"],
                                        hostKey: ["ssh-ed25519"], ciphers: ["chacha20-poly1305@openssh.com"],
                                        macs: ["umac-128-etm@openssh.com"])
            #expect(ours.familiesWithoutOverlap(modern) == ["key exchange", "cipher", "MAC"])
        }

        @Test func errorDescriptionCarriesHostPhaseFunctionAndCode() {
            let error = SSHError(host: "cuicpub", phase: .handshake, kind: .protocolError,
                                 function: "libssh2_session_handshake", code: -2, message: "Failed getting banner")
            #expect(error.description == "cuicpub: handshake: Failed getting banner (libssh2_session_handshake returned -2)")
            #expect(SSHPhase.hostKey.rawValue == "host-key")
            #expect(HostKeyPolicy(rawValue: "accept-new") == .acceptNew)
        }

        @Test func emptyRunReturnsAtOnce() async {
            let results = await SSHRunner().run([SSHJob<NeverDriver>]())
            #expect(results.isEmpty)
        }
    }
}

final class NeverDriver: ShellDriver {
    var deadline: ContinuousClock.Instant? { nil }
    func shellOpened(now: ContinuousClock.Instant) -> ShellAction { .close }
    func received(_ bytes: [UInt8], now: ContinuousClock.Instant) -> ShellAction { .close }
    func endOfFile(now: ContinuousClock.Instant) {}
    func deadlinePassed(now: ContinuousClock.Instant) {}
    func finish() -> Int { 0 }
}
