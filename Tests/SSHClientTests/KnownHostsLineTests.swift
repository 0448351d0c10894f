import CLibssh2
import Foundation
@testable import SSHClient
import Testing

/// libssh2 1.10's `libssh2_knownhost_readline` reads the byte after the length it is given and
/// drops the key's last character when that byte is a newline: a right key then reads as changed.
/// Seen in the 1000-node load test, where now and then a healthy node was "HOST KEY CHANGED".
extension SSHClientTests {
    @Suite("known_hosts lines handed to libssh2")
    struct KnownHostsLineTests {
        static let base64 = "AAAAC3NzaC1lZDI1NTE5AAAAIPSBbEytbOFZssjcA1F4vsMZ+meXx2V0b7A7l0xz1aQ9"
        static let name = "[cuicpub.site010.fleet.test]:52777"

        /// The verdict for the key `base64` after reading `bytes[0..<length]`.
        static func verdict(bytes: [CChar], length: Int) throws -> Int32 {
            let session = try #require(cors_libssh2_session_init(nil))
            defer { libssh2_session_free(session) }
            let hosts = try #require(libssh2_knownhost_init(session))
            defer { libssh2_knownhost_free(hosts) }
            let rc = bytes.withUnsafeBufferPointer {
                libssh2_knownhost_readline(hosts, $0.baseAddress, length, CORS_LIBSSH2_KNOWNHOST_FILE_OPENSSH)
            }
            #expect(rc == 0)
            let blob = Array(Data(base64Encoded: base64)!)
            return blob.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    libssh2_knownhost_checkp(hosts, name, -1, $0.baseAddress, $0.count,
                                             CORS_LIBSSH2_KNOWNHOST_TYPE_PLAIN | CORS_LIBSSH2_KNOWNHOST_KEYENC_RAW
                                                 | CORS_LIBSSH2_KNOWNHOST_KEY_ED25519, nil)
                }
            }
        }

        @Test func aNewlineJustPastTheLengthCutsTheKeyShort() throws {
            let line = Array("\(Self.name) ssh-ed25519 \(Self.base64)".utf8).map { CChar(bitPattern: $0) }
            // The hazard itself: the same line, once followed by a NUL and once by a newline.
            #expect(try Self.verdict(bytes: line + [0], length: line.count) == CORS_LIBSSH2_KNOWNHOST_CHECK_MATCH)
            #expect(try Self.verdict(bytes: line + [0x0A], length: line.count) == CORS_LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
        }

        @Test func parsedLinesCarryTheirOwnNewlineAndNUL() throws {
            let entries = KnownHostsStore.parse("# comment\n  \(Self.name) ssh-ed25519 \(Self.base64)\r\nother ssh-ed25519 \(Self.base64)")
            #expect(entries.count == 2)
            for entry in entries {
                #expect(entry.line.suffix(2) == [0x0A, 0])
                #expect(!entry.line.dropLast(2).contains(0x0A) && !entry.line.dropLast(2).contains(0x0D))
            }
            // As the store hands it over (the newline counted, the NUL not): a match whatever follows.
            let line = entries[0].line
            #expect(try Self.verdict(bytes: line, length: line.count - 1) == CORS_LIBSSH2_KNOWNHOST_CHECK_MATCH)
            #expect(entries[0].names == [Self.name.lowercased()])
        }
    }
}
