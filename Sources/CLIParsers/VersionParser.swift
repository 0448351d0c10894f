/// What `show version active` reports.
public struct VersionInfo: Sendable, Equatable, Codable {
    /// The active version, e.g. `12.6.2.10000-19`.
    public var active: String
    /// Every non-blank output line, trimmed, in order (the version line, then the installed options).
    public var lines: [String]

    /// Creates a version report from its parts.
    public init(active: String, lines: [String]) {
        self.active = active
        self.lines = lines
    }
}

/// Parser for `show version active`.
public enum VersionParser {
    /// `show version active`: `Active Master Version: 12.6.2.10000-19` then installed options.
    public static func parse(_ output: String) -> ParseOutcome<VersionInfo> {
        let text = CommandText(output)
        if let marker = FailureMarker.detect(in: text) { return .failed(marker) }
        if let reason = text.notOneCommand { return .unparsed(reason) }
        let lines = text.content
        guard !lines.isEmpty else { return .unparsed("no output") }

        var active: String?
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            // "Active Version Installed Software Options:" shares the prefix but is no version line.
            let key = words(String(line[..<colon]))
            guard key == ["active", "master", "version"] || key == ["active", "version"] else { continue }
            let version = TextLines.trim(line[line.index(after: colon)...])
            guard let first = version.unicodeScalars.first, ("0"..."9").contains(first),
                  !version.contains(where: \.isWhitespace)
            else { return .unparsed("a version line without a version: \"\(line)\"") }
            if let earlier = active, earlier != version {
                return .unparsed("two different active versions: \(earlier) and \(version)")
            }
            active = version
        }
        guard let active else { return .unparsed("no `Active Master Version:` line") }
        return .parsed(VersionInfo(active: active, lines: lines))
    }
}
