import Foundation
@testable import SSHClient
import TestSupport
import Testing

/// known_hosts read as OpenSSH reads it: every lookup is compared with `ssh-keygen -F` on the same file.
extension SSHClientTests {
    @Suite("known_hosts read as OpenSSH reads it")
    struct KnownHostsFileTests {
        static let keygen = "/usr/bin/ssh-keygen"

        /// `type base64` of fresh keys: three ed25519, one ECDSA.
        static func keys(in scratch: Scratch) throws -> [String] {
            try ["ed25519", "ed25519", "ed25519", "ecdsa"].enumerated().map { index, type in
                let path = scratch.file("key\(index)")
                let made = try runProcess(keygen, ["-q", "-t", type, "-N", "", "-C", "", "-f", path], timeout: .seconds(20))
                try #require(made.status == 0, "\(made.stderr)")
                return try String(contentsOfFile: path + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
            }
        }

        /// The lines `ssh-keygen -F name -f file` reports, with their marker (`""`, `REVOKED`, `CA`).
        static func keygenFind(_ name: String, _ file: String) throws -> [String] {
            let found = try runProcess(keygen, ["-F", name, "-f", file], timeout: .seconds(20))
            return found.stdout.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("# Host "), let range = line.range(of: " found: line ") else { return nil }
                return line[range.upperBound...].trimmingCharacters(in: .whitespaces)
            }
        }

        static func ours(_ name: String, _ file: KnownHostsFile) -> [String] {
            file.matching(name).map { entry in
                let marker = entry.marker == .revoked ? " REVOKED" : entry.marker == .certAuthority ? " CA" : ""
                return "\(entry.line)\(marker)"
            }
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: keygen)))
        func patternsMarkersAndCaseMatchAsSSHKeygenFindsThem() throws {
            let scratch = Scratch()
            let k = try Self.keys(in: scratch)
            let lines = [
                "# a comment, then a blank line",
                "",
                "cuicpub.test \(k[0])",
                "[cuicpub.test]:2222 \(k[0])",
                "[CUICSUB.Test]:2222 \(k[1])",
                "cuic*.lab.test,!cuicbad.lab.test \(k[0])",
                "cuicp?b.west.test \(k[3])",
                "@revoked * \(k[1])",
                "@cert-authority *.ca.test \(k[2])",
                "[fin*]:* \(k[0])",
                "other.test,FINESSEP.test \(k[1])",
                "!neg.test \(k[0])",
                "@bogus host.test \(k[0])",
                "  \tindented.test \(k[0]) a comment after the key",
                "10.0.0.1 \(k[0])",
                "*.lab.test,!*.lab.test \(k[0])",
                "[cuicpub.test]:2222,[cuicpub.test]:22 \(k[1])",
            ]
            let path = scratch.file("known_hosts")
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let file = KnownHostsFile(text: try String(contentsOfFile: path, encoding: .utf8))
            let names = ["cuicpub.test", "[cuicpub.test]:2222", "[cuicsub.test]:2222", "CUICPUB.TEST", "[CuicSub.TEST]:2222",
                         "cuicx.lab.test", "cuicbad.lab.test", "cuicpub.west.test", "cuicpb.west.test", "cuicpuub.west.test",
                         "a.ca.test", "[fin1.test]:8443", "fin1.test", "finessep.test", "neg.test", "host.test",
                         "indented.test", "10.0.0.1", "nothing.test", "[cuicpub.test]:22", "cuicpub.test:2222"]
            var compared = 0
            for name in names {
                let expected = try Self.keygenFind(name, path)
                #expect(Self.ours(name, file) == expected, "\(name)")
                compared += expected.isEmpty ? 0 : 1
            }
            #expect(compared >= 12, "the table must exercise matches, not only misses")
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: keygen)))
        func hashedNamesMatchAsSSHKeygenFindsThem() throws {
            let scratch = Scratch()
            let k = try Self.keys(in: scratch)
            let path = scratch.file("known_hosts")
            let lines = ["cuicpub.test \(k[0])", "[cuicpub.test]:2222 \(k[3])", "CUICSUB.test \(k[1])",
                         "finessep.test,finesses.test \(k[2])"]
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let hashed = try runProcess(Self.keygen, ["-q", "-H", "-f", path], timeout: .seconds(20))
            try #require(hashed.status == 0, "\(hashed.stderr)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("|1|") && !text.contains("cuic") && !text.contains("finesse"))
            let file = KnownHostsFile(text: text)
            #expect(file.entries.count == 5, "a comma list is hashed name by name")
            // ssh-keygen -H lower-cases as it hashes; -F hashes the name as given, the client lower-cases first.
            for name in ["cuicpub.test", "[cuicpub.test]:2222", "cuicsub.test", "finessep.test", "finesses.test",
                         "cuicpub.test:2222", "[cuicpub.test]:22", "other.test"] {
                #expect(Self.ours(name, file) == (try Self.keygenFind(name, path)), "\(name)")
            }
            #expect(Self.ours("CUICPUB.Test", file) == ["1"], "looked up lower-cased, as ssh does")
            #expect(file.matching("[cuicpub.test]:2222").map(\.keyType) == ["ecdsa-sha2-nistp256"])
        }

        @Test func linesOpenSSHSkipsAreSkipped() throws {
            let key = "AAAAC3NzaC1lZDI1NTE5AAAAIPSBbEytbOFZssjcA1F4vsMZ+meXx2V0b7A7l0xz1aQ9"
            let file = KnownHostsFile(text: """
                a.test ssh-ed25519 not-base64!
                b.test ssh-rsa \(key)
                c.test ssh-ed25519
                |1|c2FsdA==|aGFzaA== ssh-ed25519 \(key)
                @revoked
                d.test ssh-ed25519 \(key)\r
                e.test ssh-ed25519 \(key)
                """)
            // A key that does not decode, a blob of another type than named, no key, a hash of the
            // wrong size, a marker alone: skipped. CRLF and a missing last newline are fine.
            #expect(file.entries.map(\.line) == [6, 7])
            #expect(file.lineCount == 7)
        }

        @Test func globIsOpenSSHsWildcardMatchInLinearTime() {
            func m(_ p: String, _ t: String) -> Bool { KnownHostsFile.glob(Array(p.utf8), matches: Array(t.utf8)) }
            #expect(m("*", "") && m("*", "[a.test]:22") && m("a*", "a") && m("*.test", "x.y.test"))
            #expect(m("?", "a") && !m("?", "") && !m("?", "ab") && m("a?c*", "abcdef") && !m("a?c", "ac"))
            #expect(!m("*.test", "[x.test]:2222") && m("[*]:2222", "[x.test]:2222") && !m("abc", "abcd"))
            #expect(m("**a**", "bab") && !m("*a*b", "ba") && m("*a*b", "aab"))
            // A hostile line: `*a` a thousand times against a long name without a final `b`.
            let pattern = Array(String(repeating: "*a", count: 1000).utf8) + [UInt8(ascii: "b")]
            let text = Array(String(repeating: "a", count: 5000).utf8)
            let start = ContinuousClock.now
            #expect(!KnownHostsFile.glob(pattern, matches: text))
            #expect(ContinuousClock.now - start < .seconds(2))
        }

        /// A Debian user's file: every line hashed, a thousand nodes, each looked up once per run.
        @Test func aThousandHashedNodesAreLookedUpWithinSeconds() throws {
            let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPSBbEytbOFZssjcA1F4vsMZ+meXx2V0b7A7l0xz1aQ9"
            var text = ""
            for index in 0..<1000 {
                let salt = (0..<20).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
                let hash = try #require(KnownHostsFile.hmacSHA1(key: salt, message: Array("[node\(index).test]:2222".utf8)))
                text += "|1|\(Data(salt).base64EncodedString())|\(Data(hash).base64EncodedString()) \(key)\n"
            }
            let start = ContinuousClock.now
            let file = KnownHostsFile(text: text)
            var found = 0
            for index in 0..<1000 { found += file.matching("[NODE\(index).test]:2222").count }
            let elapsed = ContinuousClock.now - start
            print("1000 hashed lines, 1000 lookups: \(elapsed)")
            #expect(found == 1000)
            #expect(elapsed < .seconds(5))
        }

        @Test func hmacSHA1IsRFC2202() {
            // RFC 2202 test cases 1 and 2.
            let one = KnownHostsFile.hmacSHA1(key: [UInt8](repeating: 0x0B, count: 20), message: Array("Hi There".utf8))
            #expect(one.map { $0.map { String(format: "%02x", $0) }.joined() } == "b617318655057264e28bc0b6fb378c8ef146be00")
            let two = KnownHostsFile.hmacSHA1(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
            #expect(two.map { $0.map { String(format: "%02x", $0) }.joined() } == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        }

        @Test func verdictsFollowOpenSSHAndFailClosedOnCertificates() throws {
            func entry(_ line: Int, _ marker: KnownHostsFile.Marker, _ type: String, _ key: [UInt8]) -> KnownHostsFile.Entry {
                KnownHostsFile.Entry(line: line, marker: marker, hosts: .patterns([]), keyType: type, key: key)
            }
            let right: [UInt8] = [1, 2, 3], wrong: [UInt8] = [4, 5, 6]
            #expect(HostKeyVerdict(entries: [], keyType: "ssh-ed25519", key: right) == .notFound)
            #expect(HostKeyVerdict(entries: [entry(3, .none, "ssh-ed25519", right)], keyType: "ssh-ed25519", key: right) == .match(line: 3))
            // Revoked wins over a plain line holding the same key.
            #expect(HostKeyVerdict(entries: [entry(1, .none, "ssh-ed25519", right), entry(2, .revoked, "ssh-ed25519", right)],
                                   keyType: "ssh-ed25519", key: right) == .revoked(lines: [2]))
            // A revoked other key does not matter.
            #expect(HostKeyVerdict(entries: [entry(2, .revoked, "ssh-ed25519", wrong)], keyType: "ssh-ed25519", key: right) == .notFound)
            guard case .changed = HostKeyVerdict(entries: [entry(1, .none, "ssh-ed25519", wrong)], keyType: "ssh-ed25519", key: right) else {
                Issue.record("same type, other key: changed"); return
            }
            guard case .changed(let detail) = HostKeyVerdict(entries: [entry(1, .none, "ssh-rsa", wrong)], keyType: "ssh-ed25519", key: right) else {
                Issue.record("only another type known: changed"); return
            }
            #expect(detail.contains("only ssh-rsa keys (line 1)"))
            // Only a CA vouches: rejected, never "new".
            #expect(HostKeyVerdict(entries: [entry(4, .certAuthority, "ssh-ed25519", wrong)], keyType: "ssh-ed25519", key: right)
                        == .certAuthority(lines: [4]))
            // The node's own key beside a CA line is enough.
            #expect(HostKeyVerdict(entries: [entry(4, .certAuthority, "ssh-ed25519", wrong), entry(5, .none, "ssh-ed25519", right)],
                                   keyType: "ssh-ed25519", key: right) == .match(line: 5))
            // The algorithms to ask for: known plain types, in OpenSSH's order; CA and revoked lines do not count.
            #expect(HostKeyVerdict.preferredAlgorithms([entry(1, .none, "ssh-rsa", wrong), entry(2, .none, "ecdsa-sha2-nistp256", wrong),
                                                        entry(3, .revoked, "ssh-ed25519", wrong), entry(4, .certAuthority, "ssh-ed25519", wrong)])
                        == ["ecdsa-sha2-nistp256", "ssh-rsa"])
        }
    }
}
