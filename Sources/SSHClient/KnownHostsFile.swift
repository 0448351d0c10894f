import CLibssh2
import Foundation

/// A known_hosts file read as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): markers,
/// host patterns with `*`, `?` and `!`, comma lists, `[host]:port` names, hashed `|1|salt|hash`
/// names, case-insensitive matching. libssh2 knows none of the markers and patterns, so it is
/// never given these lines: the verdict is ours, and libssh2 only supplies the presented key.
struct KnownHostsFile {
    enum Marker: Equatable {
        case none
        /// `@revoked`: this key is never accepted for the hosts the line names.
        case revoked
        /// `@cert-authority`: host certificates signed by this key are trusted (not supported here).
        case certAuthority
    }

    /// One `!`-able pattern of a host field, ASCII-lower-cased as OpenSSH compares.
    struct Pattern: Equatable {
        var negated: Bool
        var bytes: [UInt8]
        var isLiteral: Bool { !negated && !bytes.contains(UInt8(ascii: "*")) && !bytes.contains(UInt8(ascii: "?")) }
    }

    enum Hosts: Equatable {
        /// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
        case hashed(salt: [UInt8], hash: [UInt8])
        case patterns([Pattern])
    }

    struct Entry {
        /// 1-based, as OpenSSH's messages and `ssh-keygen -F` count.
        var line: Int
        var marker: Marker
        var hosts: Hosts
        /// The key's algorithm name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...).
        var keyType: String
        /// The SSH wire blob, compared byte for byte with the presented key.
        var key: [UInt8]
    }

    private(set) var entries: [Entry] = []
    /// Lines read so far (blank, comment and unreadable ones included), for the next line's number.
    private(set) var lineCount = 0
    /// Entries whose host field is only literal names, by name: most files are mostly these, and a
    /// run looks up every node, so they are found without scanning.
    private var byLiteralName: [[UInt8]: [Int]] = [:]
    /// Hashed entries and entries with wildcards or negations: matched one by one.
    private var scanned: [Int] = []

    init(text: String) {
        append(text: text)
    }

    /// Reads more lines, numbered after those read so far. Lines end at LF (a CR before it is dropped).
    mutating func append(text: String) {
        var lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false)
        // A final newline ends the last line; it does not start another.
        if lines.last?.isEmpty == true { lines.removeLast() }
        for raw in lines {
            lineCount += 1
            guard let entry = Self.parse(raw.last == 0x0D ? raw.dropLast() : raw[...], line: lineCount) else { continue }
            let index = entries.count
            entries.append(entry)
            if case .patterns(let patterns) = entry.hosts, patterns.allSatisfy(\.isLiteral) {
                for pattern in patterns { byLiteralName[pattern.bytes, default: []].append(index) }
            } else {
                scanned.append(index)
            }
        }
    }

    /// The entries whose host field matches `name` (`host` or `[host]:port`), in file order.
    func matching(_ name: String) -> [Entry] {
        let lowered = Self.asciiLowercased(Array(name.utf8))
        var indices = Set(byLiteralName[lowered] ?? [])
        for index in scanned where Self.hostsMatch(entries[index].hosts, lowered) { indices.insert(index) }
        return indices.sorted().map { entries[$0] }
    }

    // MARK: - Parsing

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// One line, or nil for blank lines, comments and lines OpenSSH would skip as invalid (an
    /// unknown marker, a bad hash, a key that does not decode or whose blob names another type).
    static func parse(_ raw: ArraySlice<UInt8>, line: Int) -> Entry? {
        var fields = raw.split(whereSeparator: isBlank)
        guard let first = fields.first, first.first != UInt8(ascii: "#") else { return nil }
        var marker = Marker.none
        if first.first == UInt8(ascii: "@") {
            switch String(decoding: first, as: UTF8.self) {
            case "@revoked": marker = .revoked
            case "@cert-authority": marker = .certAuthority
            default: return nil
            }
            fields.removeFirst()
        }
        guard fields.count >= 3, let hosts = parseHosts(fields[0]) else { return nil }
        let keyType = String(decoding: fields[1], as: UTF8.self)
        guard let decoded = Data(base64Encoded: Data(fields[2])), blobType(Array(decoded)) == keyType else { return nil }
        return Entry(line: line, marker: marker, hosts: hosts, keyType: keyType, key: Array(decoded))
    }

    private static func parseHosts(_ field: ArraySlice<UInt8>) -> Hosts? {
        if field.first == UInt8(ascii: "|") {
            // OpenSSH's only hash format: "|1|" salt "|" hash, both base64 of 20 bytes.
            let parts = field.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
            guard parts.count == 4, parts[1].elementsEqual("1".utf8),
                  let salt = Data(base64Encoded: Data(parts[2])), let hash = Data(base64Encoded: Data(parts[3])),
                  salt.count == 20, hash.count == 20 else { return nil }
            return .hashed(salt: Array(salt), hash: Array(hash))
        }
        var patterns: [Pattern] = []
        for item in field.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let negated = item.first == UInt8(ascii: "!")
            let body = asciiLowercased(Array(negated ? item.dropFirst() : item))
            // OpenSSH gives up on the whole list (no match) when one pattern is this long.
            if body.count >= 1023 { return .patterns([]) }
            patterns.append(Pattern(negated: negated, bytes: body))
        }
        return .patterns(patterns)
    }

    /// The algorithm name a key blob starts with (an SSH string), or nil when it is malformed.
    static func blobType(_ blob: [UInt8]) -> String? {
        guard blob.count > 4 else { return nil }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard length > 0, 4 + length <= blob.count else { return nil }
        return String(decoding: blob[4..<(4 + length)], as: UTF8.self)
    }

    // MARK: - Matching

    static func asciiLowercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
    }

    /// `name` is already lower-cased (OpenSSH lower-cases the host before it hashes or matches).
    static func hostsMatch(_ hosts: Hosts, _ name: [UInt8]) -> Bool {
        switch hosts {
        case .hashed(let salt, let hash):
            return hmacSHA1(key: salt, message: name) == hash
        case .patterns(let patterns):
            // A matching negated pattern vetoes the line, whatever else matches.
            var positive = false
            for pattern in patterns where glob(pattern.bytes, matches: name) {
                if pattern.negated { return false }
                positive = true
            }
            return positive
        }
    }

    /// `*` any run of bytes (the empty one included), `?` exactly one byte, anything else itself.
    /// Linear in practice (one back-track point): a hostile `*a*a*a…` line cannot stall the run.
    static func glob(_ pattern: [UInt8], matches text: [UInt8]) -> Bool {
        var p = 0, t = 0
        var star: Int?, resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || (pattern[p] != UInt8(ascii: "*") && pattern[p] == text[t]) {
                p += 1; t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p; resume = t; p += 1
            } else if let star {
                p = star + 1; resume += 1; t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 20)
        let ok = cors_hmac_sha1(sha1, key, Int32(key.count), message, message.count, &out)
        return ok == 1 ? out : nil
    }

    /// libcrypto's SHA-1, fetched once per process (a global is initialized once, thread-safely) and
    /// only read afterwards, which OpenSSL allows from any thread.
    nonisolated(unsafe) private static let sha1 = EVP_MD_fetch(nil, "SHA1", nil)
}

/// What known_hosts says of a presented key, decided as OpenSSH decides it, failing closed where
/// cors-audit cannot follow (host certificates).
enum HostKeyVerdict: Equatable {
    /// An unmarked entry for the host holds this very key.
    case match(line: Int)
    /// Nothing about the host: strict rejects, accept-new appends.
    case notFound
    /// Entries for the host hold other keys: of the same type (the key changed), or only of other
    /// types (the server stopped offering the known type: never silently "new").
    case changed(detail: String)
    /// An `@revoked` entry for the host holds this key.
    case revoked(lines: [Int])
    /// Only `@cert-authority` entries vouch for the host; host certificates are not checked here.
    case certAuthority(lines: [Int])

    init(entries: [KnownHostsFile.Entry], keyType: String, key: [UInt8]) {
        let revoked = entries.filter { $0.marker == .revoked && $0.key == key }
        if !revoked.isEmpty {
            self = .revoked(lines: revoked.map(\.line))
            return
        }
        let plain = entries.filter { $0.marker == .none }
        if let found = plain.first(where: { $0.key == key }) {
            self = .match(line: found.line)
            return
        }
        let sameType = plain.filter { $0.keyType == keyType }
        if !sameType.isEmpty {
            self = .changed(detail: "known_hosts holds a different \(keyType) key (line \(Self.lines(sameType)))")
            return
        }
        if !plain.isEmpty {
            let types = Set(plain.map(\.keyType)).sorted().joined(separator: ", ")
            self = .changed(detail: "known_hosts holds only \(types) keys (line \(Self.lines(plain))), the server presented \(keyType)")
            return
        }
        let authorities = entries.filter { $0.marker == .certAuthority }
        self = authorities.isEmpty ? .notFound : .certAuthority(lines: authorities.map(\.line))
    }

    private static func lines(_ entries: [KnownHostsFile.Entry]) -> String {
        entries.map { String($0.line) }.joined(separator: ", ")
    }

    /// The host-key algorithms to ask for first: the types of the host's unmarked entries, in
    /// OpenSSH's preference order (as its `order_hostkeyalgs` does), so a node with several keys
    /// presents the one known_hosts holds. RSA keys are asked for as `ssh-rsa`: libssh2 1.10 has
    /// no rsa-sha2, and the key is the same whatever the signature hash.
    static func preferredAlgorithms(_ entries: [KnownHostsFile.Entry]) -> [String] {
        let known = Set(entries.filter { $0.marker == .none }.map(\.keyType))
        return defaultOrder.filter(known.contains)
    }

    static let defaultOrder = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss"]
}
