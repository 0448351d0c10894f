/// An allowed-origin list as printed by a node.
public struct OriginList: Sendable, Equatable, Codable {
    /// Entries in printed order, exactly as printed minus surrounding whitespace (never normalized: the audit must see them as they are).
    public var origins: [String]
    /// The list's header, e.g. `cors_allowedorigins`, or Finesse's header sentence.
    public var header: String?
    /// Non-entry, non-header, non-blank lines (banner, a "no origins" message, unknown text), kept so nothing is lost.
    public var ignoredLines: [String]

    /// Creates a list from its parts.
    public init(origins: [String], header: String? = nil, ignoredLines: [String] = []) {
        self.origins = origins
        self.header = header
        self.ignoredLines = ignoredLines
    }
}

/// Parsers for the `... cors allowed_origin list` commands.
public enum OriginListParser {
    /// `utils cuic cors allowed_origin list` and `utils live-data cors allowed_origin list`: entries `N. origin`.
    public static func parseNumbered(_ output: String) -> ParseOutcome<OriginList> {
        parse(output, separator: ".")
    }

    /// `utils finesse cors allowed_origin list`: entries `N: origin`, or a "no origins" message (e.g. "Currently no origins are configured in allowed origins.") → empty list.
    public static func parseFinesse(_ output: String) -> ParseOutcome<OriginList> {
        parse(output, separator: ":")
    }

    /// `nouns`: what an empty-list message names ("no origins", "no sources", "no headers"), by word prefix.
    static func parse(_ output: String, separator: Character, nouns: [String] = ["origin"]) -> ParseOutcome<OriginList> {
        let text = CommandText(output)
        if let marker = FailureMarker.detect(in: text) { return .failed(marker) }
        if let reason = text.notOneCommand { return .unparsed(reason) }

        var list = OriginList(origins: [], ignoredLines: text.preamble)
        var noOriginsMessage: String?
        var unknown: String?
        var sawSeparator = false
        for (line, hidden) in text.markedContent {
            if let (number, value) = entry(line, separator: separator) {
                let expected = list.origins.count + 1
                if number != expected {
                    // A truncated or mangled paste must not pass for a complete list.
                    return .unparsed(expected == 1
                        ? "entry numbering starts at \(number), not 1"
                        : "entry numbering jumps from \(expected - 1) to \(number)")
                }
                if value.isEmpty { return .unparsed("entry \(number) has no value") }
                if hidden {
                    // What the screen shows is not what is stored: a browser compares the stored bytes.
                    return .unparsed("entry \(number) holds escape sequences or control characters a terminal does not show, so the stored origin cannot be read exactly (shown as \"\(value)\")")
                }
                list.origins.append(value)
            } else if looksLikeEntry(line) {
                // Dropping it into ignoredLines would silently shorten the list.
                return .unparsed("a line looks like an entry but is not in the `N\(separator) origin` form: \"\(line)\"")
            } else if isSeparator(line) {
                sawSeparator = true
            } else if list.header == nil, isHeader(line) {
                list.header = line
            } else if isNoEntriesMessage(line, nouns: nouns) {
                noOriginsMessage = noOriginsMessage ?? line
                list.ignoredLines.append(line)
            } else {
                unknown = unknown ?? line
                list.ignoredLines.append(line)
            }
        }

        if !list.origins.isEmpty {
            if let message = noOriginsMessage { return .unparsed("entries and a no-origins message (\"\(message)\") together") }
            return .parsed(list)
        }
        // With no entries, unknown text may be an empty-list wording we have never seen, or an error: not "empty".
        if let unknown { return .unparsed("no entries, and a line that is neither header nor entry: \"\(unknown)\"") }
        if noOriginsMessage != nil || list.header != nil { return .parsed(list) }
        if sawSeparator { return .unparsed("only a separator line, no header and no entries") }
        return .unparsed("no output")
    }

    /// `N. value` / `N: value`: digits, the separator, then whitespace (or nothing) and the value. Read by
    /// scalars: a zero-width joiner after the separator would otherwise merge with it into one Character.
    static func entry(_ line: String, separator: Character) -> (Int, String)? {
        let scalars = line.unicodeScalars
        let digits = scalars.prefix { ("0"..."9").contains($0) }
        guard !digits.isEmpty, digits.count <= 9, let number = Int(String(String.UnicodeScalarView(digits))) else { return nil }
        let rest = scalars[digits.endIndex...]
        guard let mark = rest.first, Character(mark) == separator else { return nil }
        let value = rest.dropFirst()
        // `12.6.2` is a version, not entry 12: an entry has whitespace after the separator (or a format
        // character such as U+200B, which is then part of the entry and makes it ineffective).
        guard value.isEmpty || startsLikeAValue(value.first!) else { return nil }
        return (number, TextLines.trim(String(String.UnicodeScalarView(value))))
    }

    private static func startsLikeAValue(_ u: Unicode.Scalar) -> Bool {
        u.properties.isWhitespace || u.properties.generalCategory == .format || u.properties.isDefaultIgnorableCodePoint
    }

    /// A numbered line in some other list form (`1: x` where `1. x` is expected, `1 . x`, `1) x`).
    static func looksLikeEntry(_ line: String) -> Bool {
        let scalars = line.unicodeScalars
        let digits = scalars.prefix { ("0"..."9").contains($0) }
        guard !digits.isEmpty else { return false }
        let rest = scalars[digits.endIndex...].drop { $0 == " " || $0 == "\t" }
        guard let mark = rest.first, ".:)-".unicodeScalars.contains(mark) else { return false }
        let after = rest.dropFirst()
        return after.isEmpty || startsLikeAValue(after.first!)
    }

    private static func isSeparator(_ line: String) -> Bool {
        line.allSatisfy { $0 == "=" || $0 == "-" || $0 == " " }
    }

    private static func isHeader(_ line: String) -> Bool {
        let lower = line.lowercased()
        if lower == "cors_allowedorigins" || lower == "cors_allowed_origins" { return true }
        // Header lists (docs/releases.md: assumed by analogy with the origin list's header).
        if ["cors_allowedheaders", "cors_allowed_headers", "cors_exposedheaders", "cors_exposed_headers"].contains(lower) { return true }
        // Finesse introduces its lists with a sentence such as
        // "The following source(s) are configured in the frame access list:".
        return lower.hasPrefix("the following ") && lower.hasSuffix(":")
    }

    /// "no ... origin(s)" as whole words, e.g. "Currently no origins are configured in allowed origins.".
    static func isNoOriginsMessage(_ line: String) -> Bool { isNoEntriesMessage(line, nouns: ["origin"]) }

    /// "no ... <noun>(s)" as whole words.
    static func isNoEntriesMessage(_ line: String, nouns: [String]) -> Bool {
        let w = words(line)
        guard let no = w.firstIndex(of: "no") else { return false }
        return w[(no + 1)...].contains { word in nouns.contains { word.hasPrefix($0) } }
    }
}
