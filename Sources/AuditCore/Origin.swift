import Foundation

/// The CORS origin grammar the audit enforces: `http[s]://host[:port]`, host a DNS name or an IP address.
///
/// Browsers send origins lower-case, without path, trailing slash or default port; an allowed-origin
/// entry in any other form never matches and is therefore ineffective.
public struct Origin: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    /// Explicit non-default port, nil for the scheme's default.
    public let port: Int?

    public var description: String {
        port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    public static func < (lhs: Origin, rhs: Origin) -> Bool { lhs.description < rhs.description }

    /// Parses an origin in canonical form only (what a browser sends); nil otherwise.
    public init?(canonical text: String) {
        guard let parsed = OriginAnalysis.parseLenient(text), parsed.isCanonical, parsed.origin.description == text else {
            return nil
        }
        self = parsed.origin
    }

    init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// The origin a browser shows for a page at `https://host` on `port` (443 means no port).
    public static func https(host: String, port: Int) -> Origin {
        Origin(scheme: "https", host: host.lowercased(), port: port == 443 ? nil : port)
    }
}

/// `OriginAnalysis.analyze`'s answers by entry; the function is pure, so a cached answer is the answer. Bounded: emptied
/// when full, as a run with that many distinct entries gains nothing from it.
final class AnalysisMemo: @unchecked Sendable {
    static let shared = AnalysisMemo()
    private let lock = NSLock()
    private var answers: [String: OriginAnalysis] = [:]
    private static let capacity = 50_000

    func value(for entry: String) -> OriginAnalysis? {
        lock.lock(); defer { lock.unlock() }
        return answers[entry]
    }

    func store(_ analysis: OriginAnalysis, for entry: String) {
        lock.lock(); defer { lock.unlock() }
        if answers.count >= Self.capacity { answers.removeAll(keepingCapacity: true) }
        answers[entry] = analysis
    }
}

/// What an allowed-origin entry as stored on a node means to a browser.
public enum OriginAnalysis: Sendable, Equatable {
    /// Exactly the form a browser sends.
    case effective(Origin)
    /// Will never match; `meant` is the canonical form it probably stands for, when one can be derived.
    case ineffective(reason: String, meant: Origin?)

    /// Classifies one stored entry.
    public static func analyze(_ entry: String) -> OriginAnalysis {
        // A fleet's lists repeat the same few origins node after node: each distinct entry is classified once. ASCII
        // only: Swift compares Strings by canonical equivalence, and only for ASCII is that equality of the bytes.
        guard entry.utf8.allSatisfy({ $0 < 0x80 }) else { return classify(entry) }
        if let known = AnalysisMemo.shared.value(for: entry) { return known }
        let analysis = classify(entry)
        AnalysisMemo.shared.store(analysis, for: entry)
        return analysis
    }

    private static func classify(_ entry: String) -> OriginAnalysis {
        if entry.isEmpty { return .ineffective(reason: "is empty", meant: nil) }
        // Scalars, not Characters: a zero-width joiner or a variation selector merges into the character
        // before it, and would hide there.
        if entry.unicodeScalars.contains(where: Escaping.isInvisible) {
            var squeezed = String.UnicodeScalarView()
            squeezed.append(contentsOf: entry.unicodeScalars.filter { !Escaping.isInvisible($0) })
            let meant = parseLenient(String(squeezed))?.origin
            return .ineffective(reason: invisibleReason(entry), meant: meant)
        }
        guard let parsed = parseLenient(entry) else {
            return .ineffective(reason: "is not an origin of the form http[s]://host[:port]", meant: nil)
        }
        if parsed.isCanonical && parsed.origin.description == entry { return .effective(parsed.origin) }
        var reasons: [String] = []
        if parsed.hasUpperCase { reasons.append("upper case") }
        if parsed.hasPath { reasons.append("a path or trailing slash") }
        if parsed.hasDefaultPort { reasons.append("an explicit default port") }
        if reasons.isEmpty { reasons.append("a non-canonical form") }
        return .ineffective(reason: "has " + reasons.joined(separator: " and "), meant: parsed.origin)
    }

    /// `contains whitespace` for ASCII blanks; otherwise each other white-space, format or control character
    /// named, escaped, with where it sits (a pasted NBSP at the end is invisible on every screen).
    static func invisibleReason(_ entry: String) -> String {
        let scalars = Array(entry.unicodeScalars)
        var parts: [String] = []
        var seen: Set<String> = []
        for (i, u) in scalars.enumerated() where Escaping.isInvisible(u) && u != " " && u != "\t" {
            let leading = scalars[..<i].allSatisfy(Escaping.isInvisible)
            let trailing = scalars[(i + 1)...].allSatisfy(Escaping.isInvisible)
            let place = leading ? "at its start" : trailing ? "at its end" : "inside"
            let name = u.properties.name.map { " (\($0))" } ?? ""
            let part = "\(Escaping.codePoint(u))\(name) \(place)"
            if seen.insert(part).inserted { parts.append(part) }
        }
        guard !parts.isEmpty else { return "contains whitespace" }
        let shown = parts.count > 4 ? parts.prefix(4).joined(separator: ", ") + " and \(parts.count - 4) more" : parts.joined(separator: ", ")
        return "contains \(shown), a character no browser sends in an Origin"
    }

    struct Lenient {
        var origin: Origin
        var hasUpperCase: Bool
        var hasPath: Bool
        var hasDefaultPort: Bool
        var isCanonical: Bool { !hasUpperCase && !hasPath && !hasDefaultPort }
    }

    /// Parses `scheme://host[:port][/path]` case-insensitively; nil when it is not an http(s) origin at all.
    static func parseLenient(_ text: String) -> Lenient? {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return nil }
        let schemeRaw = String(text[..<colon])
        let scheme = schemeRaw.lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var rest = text[text.index(colon, offsetBy: 3)...]
        var hasPath = false
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            hasPath = true
            rest = rest[..<slash]
        }
        var hostRaw = rest
        var port: Int?
        var hasDefaultPort = false
        if hostRaw.hasPrefix("[") {
            // IPv6 literal: [addr] or [addr]:port
            guard let close = hostRaw.firstIndex(of: "]") else { return nil }
            let after = hostRaw[hostRaw.index(after: close)...]
            let literal = hostRaw[...close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
            hostRaw = literal
            guard isIPv6Literal(hostRaw.dropFirst().dropLast()) else { return nil }
        } else {
            if let colon = hostRaw.lastIndex(of: ":") {
                let portText = hostRaw[hostRaw.index(after: colon)...]
                guard !portText.isEmpty, portText.allSatisfy({ $0.isASCIIDigit }), let p = Int(portText),
                      (1...65535).contains(p), portText.first != "0" else { return nil }
                port = p
                hostRaw = hostRaw[..<colon]
            }
            guard isDNSName(hostRaw) || isIPv4(hostRaw) else { return nil }
        }
        let host = hostRaw.lowercased()
        if let p = port, (scheme == "https" && p == 443) || (scheme == "http" && p == 80) {
            hasDefaultPort = true
            port = nil
        }
        let hasUpper = schemeRaw != scheme || String(hostRaw) != host
        return Lenient(origin: Origin(scheme: scheme, host: host, port: port),
                       hasUpperCase: hasUpper, hasPath: hasPath, hasDefaultPort: hasDefaultPort)
    }

    /// A DNS name: dot-separated labels of letters, digits and hyphens, no label starting or ending with a hyphen.
    static func isDNSName<S: StringProtocol>(_ s: S) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isIPv4<S: StringProtocol>(_ s: S) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy({ $0.isASCIIDigit }) && Int(p)! <= 255
        }
    }

    static func isIPv6Literal<S: StringProtocol>(_ s: S) -> Bool {
        !s.isEmpty && s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension OriginAnalysis {
    /// True when the entry is safe to write into a CLI command line (a canonical origin: no spaces,
    /// commas, quotes or control characters can reach the device's shell).
    public static func isSafeForCommandLine(_ entry: String) -> Bool {
        if case .effective = analyze(entry) { return true }
        return false
    }
}
