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
        guard let name = KnownHostsFile.blobType(blob) else { return nil }
        typeName = name
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
        // Numbered as if the file held only this run's view of it (other loops' appends are not counted).
        parsed[path]?.append(text: line + "\n")
    }

    private var parsed: [String: KnownHostsFile] = [:]

    /// The entries of `path` about `name`; the file is read and indexed once per run (not once per
    /// session: with hundreds of nodes in one file that was most of the client's CPU and memory).
    func entries(_ path: String, matching name: String) throws(KnownHostsFailure) -> [KnownHostsFile.Entry] {
        if parsed[path] == nil { parsed[path] = KnownHostsFile(text: try text(path)) }
        return parsed[path]?.matching(name) ?? []
    }
}

/// A known_hosts file problem (reported as a host-key phase error).
struct KnownHostsFailure: Error {
    var message: String
}
