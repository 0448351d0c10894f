import CLibssh2
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The host key a server presented, in the forms the checks and messages need.
struct PresentedHostKey {
    /// The SSH wire blob.
    var blob: [UInt8]
    /// Its algorithm name as known_hosts writes it (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`).
    var typeName: String
    /// libssh2's `LIBSSH2_KNOWNHOST_KEY_*` bits for it.
    var knownHostKeyBits: Int32
    /// `SHA256:<base64 without padding>`.
    var fingerprint: String

    /// The line to add to known_hosts for `name`.
    func knownHostsLine(name: String) -> String {
        "\(name) \(typeName) \(Data(blob).base64EncodedString())"
    }

    /// Reads the key of a session whose handshake is done.
    init?(session: OpaquePointer) {
        var length = 0
        var type: Int32 = 0
        guard let raw = libssh2_session_hostkey(session, &length, &type), length > 4 else { return nil }
        blob = Array(UnsafeRawBufferPointer(start: raw, count: length))
        // The blob starts with the algorithm name as an SSH string (uint32 length + bytes).
        let nameLength = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard nameLength > 0, 4 + nameLength <= blob.count else { return nil }
        typeName = String(decoding: blob[4..<(4 + nameLength)], as: UTF8.self)
        switch type {
        case CORS_LIBSSH2_HOSTKEY_TYPE_RSA: knownHostKeyBits = CORS_LIBSSH2_KNOWNHOST_KEY_SSHRSA
        case CORS_LIBSSH2_HOSTKEY_TYPE_DSS: knownHostKeyBits = CORS_LIBSSH2_KNOWNHOST_KEY_SSHDSS
        case CORS_LIBSSH2_HOSTKEY_TYPE_ECDSA_256: knownHostKeyBits = CORS_LIBSSH2_KNOWNHOST_KEY_ECDSA_256
        case CORS_LIBSSH2_HOSTKEY_TYPE_ECDSA_384: knownHostKeyBits = CORS_LIBSSH2_KNOWNHOST_KEY_ECDSA_384
        case CORS_LIBSSH2_HOSTKEY_TYPE_ECDSA_521: knownHostKeyBits = CORS_LIBSSH2_KNOWNHOST_KEY_ECDSA_521
        case CORS_LIBSSH2_HOSTKEY_TYPE_ED25519: knownHostKeyBits = CORS_LIBSSH2_KNOWNHOST_KEY_ED25519
        default: knownHostKeyBits = CORS_LIBSSH2_KNOWNHOST_KEY_UNKNOWN
        }
        if let hash = libssh2_hostkey_hash(session, CORS_LIBSSH2_HOSTKEY_HASH_SHA256) {
            let digest = Data(UnsafeRawBufferPointer(start: hash, count: Int(CORS_LIBSSH2_HOSTKEY_HASH_SHA256_LENGTH)))
            var text = digest.base64EncodedString()
            while text.hasSuffix("=") { text.removeLast() }
            fingerprint = "SHA256:" + text
        } else {
            fingerprint = "SHA256:(unavailable)"
        }
    }
}

/// known_hosts files as read once per run and appended to by accept-new. Each poll loop has its own,
/// confined to its thread; appends from all loops go through one lock.
final class KnownHostsStore {
    /// Serializes appends of the run's loops, so lines never interleave and each sees the others' last byte.
    private static let appendLock = NSLock()

    enum Verdict: Equatable {
        case match
        case notFound
        /// A key of the same type differs, or only keys of other types are known for the name.
        case mismatch(detail: String)
    }

    private var contents: [String: String] = [:]

    /// `~/` expanded; nil means OpenSSH's default file.
    static func resolvedPath(_ path: String?) -> String {
        let raw = path ?? "~/.ssh/known_hosts"
        guard raw.hasPrefix("~/") else { return raw }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + raw.dropFirst(1)
    }

    /// The file's text; a missing file is empty, an unreadable one an error.
    func text(_ path: String) throws(KnownHostsFailure) -> String {
        if let known = contents[path] { return known }
        var text = ""
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KnownHostsFailure(message: "cannot read known_hosts file \(path)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        contents[path] = text
        return text
    }

    /// Appends one line, creating the file (0600) and its directory (0700) if needed.
    /// Never rewrites what is there: the user's file may hold comments, markers, hashed names.
    func append(_ line: String, to path: String) throws(KnownHostsFailure) {
        let existing = try text(path)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw KnownHostsFailure(message: "cannot create \(directory): \(error)")
            }
        }
        Self.appendLock.lock()
        defer { Self.appendLock.unlock() }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw KnownHostsFailure(message: "cannot open \(path) for appending: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // The file as it is now (another loop may have appended since it was read): a newline first if it lacks one.
        var last: UInt8 = 0x0A
        let size = lseek(fd, 0, SEEK_END)
        if size > 0 { _ = pread(fd, &last, 1, size - 1) }
        let separator = last == 0x0A ? "" : "\n"
        let bytes = Array((separator + line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw KnownHostsFailure(message: "cannot append to \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        contents[path] = existing + separator + line + "\n"
        parsedEntries[path]?.append(contentsOf: Self.parse(line))
    }

    /// One known_hosts line as libssh2 reads it, and the plain names it is for.
    struct Entry {
        /// The line without leading blanks, ended by a newline and a NUL (see `parse`).
        var line: [CChar]
        /// Lower-cased plain names of the host field; nil when the line is always loaded (hashed
        /// names, patterns, negations, markers: anything that is not plainly a list of names).
        var names: Set<String>?

        /// False only when the line cannot be about `lowered`: libssh2 matches plain names by
        /// exact comparison, so leaving such a line out never changes a verdict.
        func mayMatch(_ lowered: String) -> Bool { names?.contains(lowered) ?? true }
    }

    private var parsedEntries: [String: [Entry]] = [:]

    /// The file's lines, split once per run (not once per session: with hundreds of nodes in
    /// one file that was most of the client's CPU and memory).
    func entries(_ path: String) throws(KnownHostsFailure) -> [Entry] {
        if let known = parsedEntries[path] { return known }
        let parsed = Self.parse(try text(path))
        parsedEntries[path] = parsed
        return parsed
    }

    /// Splits on LF and CR bytes (CRLF files included), drops blank and comment lines.
    static func parse(_ text: String) -> [Entry] {
        var result: [Entry] = []
        for raw in text.utf8.split(whereSeparator: { $0 == 0x0A || $0 == 0x0D }) {
            let line = raw.drop(while: { $0 == 0x20 || $0 == 0x09 })
            guard let first = line.first, first != UInt8(ascii: "#") else { continue }
            let field = line.prefix(while: { $0 != 0x20 && $0 != 0x09 })
            let special: Set<UInt8> = [UInt8(ascii: "@"), UInt8(ascii: "|"), UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "!")]
            let names: Set<String>? = field.contains(where: special.contains)
                ? nil
                : Set(field.split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self).lowercased() })
            // Ended by a newline and a NUL that libssh2 may read: libssh2 1.10's readline looks at
            // the byte after the given length (`if(*cp == '\n') keylen--`), and a stray newline
            // there cut the key short, so a right key now and then read as a changed one.
            result.append(Entry(line: line.map { CChar(bitPattern: $0) } + [0x0A, 0], names: names))
        }
        return result
    }

    /// Loads the lines that may concern `name` into a libssh2 known-hosts collection for
    /// `session`. Lines libssh2 cannot parse (markers such as `@cert-authority`, unknown key
    /// types) are skipped, not fatal: one odd line must not make every host look unknown.
    static func collection(session: OpaquePointer, entries: [Entry], name: String) -> OpaquePointer? {
        guard let hosts = libssh2_knownhost_init(session) else { return nil }
        let lowered = name.lowercased()
        for entry in entries where entry.mayMatch(lowered) {
            _ = entry.line.withUnsafeBufferPointer {
                // The length takes in the newline, not the NUL.
                libssh2_knownhost_readline(hosts, $0.baseAddress, $0.count - 1, CORS_LIBSSH2_KNOWNHOST_FILE_OPENSSH)
            }
        }
        return hosts
    }

    /// Algorithm names of the keys recorded under `name` in plain (unhashed) entries, so the
    /// handshake can prefer a type we can verify (as OpenSSH orders its host key algorithms).
    static func knownAlgorithms(hosts: OpaquePointer, name: String) -> [String] {
        var result: [String] = []
        var previous: UnsafeMutablePointer<libssh2_knownhost>?
        var current: UnsafeMutablePointer<libssh2_knownhost>?
        while libssh2_knownhost_get(hosts, &current, previous) == 0, let entry = current {
            if let entryName = entry.pointee.name, String(cString: entryName) == name {
                result += algorithms(forKeyBits: entry.pointee.typemask & CORS_LIBSSH2_KNOWNHOST_KEY_MASK)
            }
            previous = entry
        }
        return result
    }

    /// Checks the presented key under `name` (already in `[host]:port` form when needed).
    static func check(hosts: OpaquePointer, name: String, key: PresentedHostKey) -> Verdict {
        let typed = key.blob.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                // port -1: look up exactly `name`; with a port libssh2 would also fall back to the
                // bare name, which OpenSSH does not do for non-standard ports.
                libssh2_knownhost_checkp(hosts, name, -1, $0.baseAddress, $0.count,
                                         CORS_LIBSSH2_KNOWNHOST_TYPE_PLAIN | CORS_LIBSSH2_KNOWNHOST_KEYENC_RAW
                                             | key.knownHostKeyBits, nil)
            }
        }
        switch typed {
        case CORS_LIBSSH2_KNOWNHOST_CHECK_MATCH:
            return .match
        case CORS_LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
            return .mismatch(detail: "known_hosts holds a different \(key.typeName) key for \(name)")
        default:
            break
        }
        // Key type 0 matches entries of any type: a hit here means the name is known, but only
        // with keys of other types. A server that stopped offering the type we know is treated
        // as a changed key, never silently accepted as new.
        let anyType = key.blob.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                libssh2_knownhost_checkp(hosts, name, -1, $0.baseAddress, $0.count,
                                         CORS_LIBSSH2_KNOWNHOST_TYPE_PLAIN | CORS_LIBSSH2_KNOWNHOST_KEYENC_RAW, nil)
            }
        }
        if anyType == CORS_LIBSSH2_KNOWNHOST_CHECK_MISMATCH {
            let others = knownAlgorithms(hosts: hosts, name: name)
            let what = others.isEmpty ? "keys of other types" : "only \(Set(others).sorted().joined(separator: ", ")) keys"
            return .mismatch(detail: "known_hosts holds \(what) for \(name), the server presented \(key.typeName)")
        }
        return .notFound
    }

    static func algorithms(forKeyBits bits: Int32) -> [String] {
        switch bits {
        case CORS_LIBSSH2_KNOWNHOST_KEY_ED25519: return ["ssh-ed25519"]
        case CORS_LIBSSH2_KNOWNHOST_KEY_ECDSA_256: return ["ecdsa-sha2-nistp256"]
        case CORS_LIBSSH2_KNOWNHOST_KEY_ECDSA_384: return ["ecdsa-sha2-nistp384"]
        case CORS_LIBSSH2_KNOWNHOST_KEY_ECDSA_521: return ["ecdsa-sha2-nistp521"]
        case CORS_LIBSSH2_KNOWNHOST_KEY_SSHRSA: return ["ssh-rsa"]
        case CORS_LIBSSH2_KNOWNHOST_KEY_SSHDSS: return ["ssh-dss"]
        default: return []
        }
    }
}

/// A known_hosts file problem (reported as a host-key phase error).
struct KnownHostsFailure: Error {
    var message: String
}
