import VOSShell

/// What a parser made of one command's output.
public enum ParseOutcome<Value: Sendable & Equatable>: Sendable, Equatable {
    case parsed(Value)
    /// The failure-marker line, e.g. "Executed command unsuccessfully".
    case failed(String)
    /// Why the text was not understood; the caller keeps the raw text.
    case unparsed(String)
}

/// The generic signs that a VOS command failed rather than printed an (empty) result.
public enum FailureMarker {
    /// The marker line when the output says the command failed, else nil.
    public static func detect(in output: String) -> String? {
        let lines = Lines.clean(output)
        if let line = lines.first(where: { $0.localizedCaseInsensitiveContainsASCII("executed command unsuccessfully") }) { return line }
        if let first = lines.first(where: { !$0.isEmpty && !Lines.isPromptLine($0) }), first.lowercased().hasPrefix("invalid command") { return first }
        return nil
    }
}

/// Line handling shared by the parsers: ANSI stripped, CR/CRLF normalized, trailing spaces trimmed.
enum Lines {
    static func clean(_ output: String) -> [String] {
        let stripped = ANSIFilter.strip(output)
        var lines: [String] = []
        for raw in stripped.split(separator: "\n", omittingEmptySubsequences: false) {
            // A lone CR is a terminal overwrite: keep what was written last.
            var line = Substring(raw)
            if line.last == "\r" { line = line.dropLast() }
            if let cr = line.lastIndex(of: "\r") {
                let after = line[line.index(after: cr)...]
                line = after.isEmpty ? line[..<cr] : after
            }
            lines.append(trim(line))
        }
        return lines
    }

    static func trim<S: StringProtocol>(_ s: S) -> String {
        var scalars = Substring(s).unicodeScalars[...]
        while let f = scalars.first, f.properties.isWhitespace || f.value < 0x20 { scalars = scalars.dropFirst() }
        while let l = scalars.last, l.properties.isWhitespace || l.value < 0x20 { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// `admin:` or `admin[N]:`, optionally followed by a command.
    static func promptCommand(_ line: String) -> String? {
        guard line.hasPrefix("admin") else { return nil }
        var rest = line.dropFirst(5)
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: rest.startIndex)..<close].allSatisfy({ $0.isASCII && $0.isNumber }),
                  close > rest.index(after: rest.startIndex) else { return nil }
            rest = rest[rest.index(after: close)...]
        }
        guard rest.first == ":" else { return nil }
        return trim(rest.dropFirst())
    }

    static func isPromptLine(_ line: String) -> Bool { promptCommand(line) != nil }
}

extension String {
    func localizedCaseInsensitiveContainsASCII(_ needle: String) -> Bool { lowercased().contains(needle) }
}

/// An allowed-origin list as printed.
public struct OriginList: Sendable, Equatable, Codable {
    /// Entries in printed order, exactly as printed minus surrounding whitespace (never normalized).
    public var origins: [String]
    /// e.g. `cors_allowedorigins`, or Finesse's header sentence.
    public var header: String?
    /// Non-entry, non-header, non-blank lines, kept so nothing is lost.
    public var ignoredLines: [String]

    public init(origins: [String], header: String? = nil, ignoredLines: [String] = []) {
        self.origins = origins; self.header = header; self.ignoredLines = ignoredLines
    }
}

public enum OriginListParser {
    /// `utils cuic cors allowed_origin list` and `utils live-data cors allowed_origin list`: entries `N. origin`.
    public static func parseNumbered(_ output: String) -> ParseOutcome<OriginList> {
        parse(output, separator: ".")
    }

    /// `utils finesse cors allowed_origin list`: entries `N: origin`, or a "no origins" message (an empty list).
    public static func parseFinesse(_ output: String) -> ParseOutcome<OriginList> {
        parse(output, separator: ":")
    }

    static func parse(_ output: String, separator: Character) -> ParseOutcome<OriginList> {
        if let marker = FailureMarker.detect(in: output) { return .failed(marker) }
        var list = OriginList(origins: [])
        var sawNoOriginsMessage = false
        var unknown: [String] = []
        for line in Lines.clean(output) where !line.isEmpty {
            if Lines.isPromptLine(line) { continue }
            if let (number, value) = entry(line, separator: separator) {
                let expected = list.origins.count + 1
                guard number == expected else {
                    return .unparsed("entry numbering jumps from \(expected - 1) to \(number)")
                }
                guard !value.isEmpty else { return .unparsed("entry \(number) has no value") }
                list.origins.append(value)
                continue
            }
            let lower = line.lowercased()
            if line.allSatisfy({ $0 == "=" || $0 == "-" }) { continue }
            if lower == "cors_allowedorigins" || lower.hasPrefix("the following") && lower.hasSuffix(":") {
                list.header = list.header ?? line
                continue
            }
            if lower.contains("no origin") || lower.contains("no allowed origin") || (lower.contains("currently no") && lower.contains("origin")) {
                sawNoOriginsMessage = true
                list.ignoredLines.append(line)
                continue
            }
            unknown.append(line)
        }
        if !list.origins.isEmpty {
            list.ignoredLines += unknown
            return sawNoOriginsMessage ? .unparsed("both entries and a no-origins message") : .parsed(list)
        }
        if !unknown.isEmpty { return .unparsed("no entries, and text that is not a known header: \"\(unknown[0])\"") }
        if sawNoOriginsMessage || list.header != nil { return .parsed(list) }
        return .unparsed("no output")
    }

    /// `N. value` / `N: value` (the separator directly after the number).
    static func entry(_ line: String, separator: Character) -> (Int, String)? {
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 6, let n = Int(digits) else { return nil }
        let rest = line[digits.endIndex...]
        guard rest.first == separator else { return nil }
        let value = rest.dropFirst()
        // `1.2.3.4` style text is not an entry: an entry has whitespace after the separator.
        guard value.isEmpty || value.first == " " || value.first == "\t" else { return nil }
        return (n, Lines.trim(value))
    }
}

/// CORS state as `utils cuic|live-data|finesse cors status` reports it.
public enum CorsState: String, Sendable, Equatable, Codable { case enabled, disabled, enableAll = "enable_all" }

public enum CorsStatusParser {
    /// `utils cuic cors status`, `utils live-data cors status`, `utils finesse cors status`.
    /// The exact CUIC / Live Data wording is not publicly known: anything ambiguous is unparsed.
    public static func parse(_ output: String) -> ParseOutcome<CorsState> {
        if let marker = FailureMarker.detect(in: output) { return .failed(marker) }
        let lines = Lines.clean(output).filter { !$0.isEmpty && !Lines.isPromptLine($0) }
        guard !lines.isEmpty else { return .unparsed("no output") }
        var found: Set<CorsState> = []
        for line in lines {
            let words = words(line.lowercased())
            if words.contains("enable_all") || words.contains("enableall") { found.insert(.enableAll); continue }
            for (i, w) in words.enumerated() {
                let negated = i > 0 && (words[i - 1] == "not" || words[i - 1] == "isn't")
                switch w {
                case "enabled", "true", "on":
                    found.insert(negated ? .disabled : .enabled)
                case "disabled", "false", "off":
                    found.insert(negated ? .enabled : .disabled)
                default: break
                }
            }
        }
        guard found.count == 1, let state = found.first else {
            return .unparsed(found.isEmpty ? "no enabled/disabled/enable_all state in the text" : "the text states more than one state")
        }
        return .parsed(state)
    }

    static func words(_ s: String) -> [String] {
        s.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "'") }.map(String.init)
    }
}

/// `show version active`.
public struct VersionInfo: Sendable, Equatable, Codable {
    public var active: String
    public var lines: [String]
}

public enum VersionParser {
    /// `show version active`: `Active Master Version: 12.6.2.10000-19` then installed options.
    public static func parse(_ output: String) -> ParseOutcome<VersionInfo> {
        if let marker = FailureMarker.detect(in: output) { return .failed(marker) }
        let lines = Lines.clean(output).filter { !$0.isEmpty && !Lines.isPromptLine($0) }
        for line in lines {
            let lower = line.lowercased()
            guard lower.hasPrefix("active master version") || lower.hasPrefix("active version:"),
                  let colon = line.firstIndex(of: ":") else { continue }
            let version = Lines.trim(line[line.index(after: colon)...])
            guard !version.isEmpty, version.first!.isNumber, !version.contains(" ") else {
                return .unparsed("version line without a version: \"\(line)\"")
            }
            return .parsed(VersionInfo(active: version, lines: lines))
        }
        return .unparsed(lines.isEmpty ? "no output" : "no `Active Master Version:` line")
    }
}

public enum ServiceState: String, Sendable, Equatable, Codable { case started = "STARTED", stopped = "STOPPED", other = "OTHER" }

/// One line of `utils service list`.
public struct ServiceStatus: Sendable, Equatable, Codable {
    public var name: String
    public var state: ServiceState
    /// Text inside the brackets, trimmed: STARTED, STOPPED, STARTING, ...
    public var rawState: String
    /// Text after the brackets, trimmed: "Component is not running", "Service Not Activated", or "".
    public var tail: String
    /// "Service Not Activated": not running by design, not a stopped service.
    public var notActivated: Bool
}

public struct ServiceList: Sendable, Equatable, Codable {
    public var services: [ServiceStatus]
    public var ignoredLines: [String]

    /// The named service (case-insensitive exact name), if listed.
    public func service(named name: String) -> ServiceStatus? {
        let wanted = name.lowercased()
        return services.first { $0.name.lowercased() == wanted }
    }
}

public enum ServiceListParser {
    /// `utils service list`: `Name[STATE] tail` lines among header and trailer lines.
    public static func parse(_ output: String) -> ParseOutcome<ServiceList> {
        if let marker = FailureMarker.detect(in: output) { return .failed(marker) }
        var list = ServiceList(services: [], ignoredLines: [])
        for line in Lines.clean(output) where !line.isEmpty && !Lines.isPromptLine(line) {
            if let s = service(line) { list.services.append(s) } else { list.ignoredLines.append(line) }
        }
        return list.services.isEmpty ? .unparsed("no `Name[STATE]` service lines") : .parsed(list)
    }

    static func service(_ line: String) -> ServiceStatus? {
        guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else { return nil }
        let name = Lines.trim(line[..<open])
        let raw = Lines.trim(line[line.index(after: open)..<close])
        guard !name.isEmpty, !raw.isEmpty, raw.allSatisfy({ $0.isLetter || $0 == " " || $0 == "_" }) else { return nil }
        let upper = raw.uppercased()
        let state: ServiceState = upper == "STARTED" ? .started : upper == "STOPPED" ? .stopped : .other
        let tail = Lines.trim(line[line.index(after: close)...])
        return ServiceStatus(name: name, state: state, rawState: upper, tail: tail,
                             notActivated: tail.lowercased().contains("service not activated"))
    }
}

/// One command typed at a prompt in a transcript, and what the node printed for it.
public struct TranscriptEntry: Sendable, Equatable, Codable {
    public var command: String
    /// ANSI stripped, `\n` line ends, echo, pager prompts and the next prompt removed, no trailing blank lines.
    public var output: String
    /// 1-based line of the prompt line in the transcript.
    public var line: Int
}

public enum TranscriptSplitter {
    /// Splits a whole pasted (or saved) VOS CLI session into (command, output) pairs.
    public static func split(_ transcript: String) -> [TranscriptEntry] {
        var entries: [TranscriptEntry] = []
        var current: (command: String, line: Int, output: [String])?
        func close() {
            guard let c = current else { return }
            var out = c.output
            while let last = out.last, last.isEmpty { out.removeLast() }
            entries.append(TranscriptEntry(command: c.command, output: out.joined(separator: "\n") + (out.isEmpty ? "" : "\n"), line: c.line))
            current = nil
        }
        for (i, line) in Lines.clean(transcript).enumerated() {
            if let command = Lines.promptCommand(line) {
                close()
                if !command.isEmpty { current = (command, i + 1, []) }
                continue
            }
            if isPager(line) { continue }
            current?.output.append(line)
        }
        close()
        return entries
    }

    static func isPager(_ line: String) -> Bool {
        let l = line.lowercased()
        return l.contains("<space> for one page") || (l.hasPrefix("press <enter> for 1 line"))
    }
}
