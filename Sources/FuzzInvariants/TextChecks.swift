import AuditCore
import CLIParsers

/// Invariants of the transcript splitter and the command-output parsers.
enum TextChecks {
    // MARK: Splitter

    static func splitter(_ input: [UInt8]) throws {
        let transcript = text(input)
        let entries = TranscriptSplitter.split(transcript)
        try require(entries == TranscriptSplitter.split(transcript), "split is not deterministic")

        var previousLine = 0
        for entry in entries {
            try require(!entry.command.isEmpty, "an entry with an empty command at line \(entry.line)")
            try require(entry.command == trimmed(entry.command), "command not trimmed: \(quoted(entry.command))")
            try require(!entry.command.unicodeScalars.contains { $0 != "\t" && isC0Control($0) }, "control character in command \(quoted(entry.command))")
            try require(entry.line > previousLine, "entry lines not increasing: \(entry.line) after \(previousLine)")
            previousLine = entry.line
            try require(!entry.output.unicodeScalars.contains { $0 != "\n" && $0 != "\t" && isC0Control($0) },
                        "control character (other than \\n, \\t) in output \(quoted(entry.output))")
            try require(!entry.output.hasSuffix("\n"), "output ends with a line break: \(quoted(entry.output))")
            if let last = entry.output.split(separator: "\n", omittingEmptySubsequences: false).last {
                try require(entry.output.isEmpty || !trimmed(last).isEmpty, "output ends with a blank line: \(quoted(entry.output))")
            }
        }
        if let lines = lineCount(transcript) {
            try require(previousLine <= lines, "entry line \(previousLine) past the transcript's \(lines) lines")
        }

        // Idempotence: a clean transcript rebuilt from the entries splits into the same entries.
        let rebuilt = entries.map { "admin:\($0.command)\n" + ($0.output.isEmpty ? "" : $0.output + "\n") }.joined()
        let again = TranscriptSplitter.split(rebuilt)
        try require(again.map(\.command) == entries.map(\.command) && again.map(\.output) == entries.map(\.output),
                    "re-splitting the split entries changes them: \(entries) → \(again)")

        if let crlf = withCRLF(transcript) {
            let viaCRLF = TranscriptSplitter.split(crlf)
            try require(viaCRLF == entries, "CRLF line ends change the split: \(entries) → \(viaCRLF)")
        }
    }

    // MARK: Parsers

    static func originList(_ input: [UInt8], finesse: Bool) throws {
        let output = text(input)
        let parse = finesse ? OriginListParser.parseFinesse : OriginListParser.parseNumbered
        let outcome = try common(output, parse)
        if case .parsed(let list) = outcome {
            for origin in list.origins {
                try require(!origin.isEmpty, "an empty origin in \(list.origins)")
                try require(origin == trimmed(origin), "origin not trimmed: \(quoted(origin))")
                try require(!origin.unicodeScalars.contains { $0 != "\t" && isC0Control($0) }, "control character in origin \(quoted(origin))")
                try originAnalysis(origin)
            }
            // The list printed back in its own form parses to the same entries.
            let separator = finesse ? ":" : "."
            let printed = (["cors_allowedorigins"] + list.origins.enumerated().map { "\($0.offset + 1)\(separator) \($0.element)" })
                .joined(separator: "\n")
            try require(parse(printed).value?.origins == list.origins,
                        "the list printed back parses differently: \(list.origins) → \(parse(printed))")
        }
        // Whatever a node stores, the audit classifies it; try lines, and words that look like URLs,
        // as entries (a few: instrumented string handling is slow).
        for line in output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).prefix(16) {
            try originAnalysis(String(line))
            for word in line.split(separator: " ").filter({ $0.contains("://") }).prefix(4) { try originAnalysis(String(word)) }
        }
    }

    static func corsStatus(_ input: [UInt8]) throws {
        // (No check that the raw text holds a state word: the parser reads the text as shown on a
        // terminal, where NULs, backspaces and escape sequences inside a word disappear.)
        try common(text(input), CorsStatusParser.parse)
    }

    static func version(_ input: [UInt8]) throws {
        let output = text(input)
        if case .parsed(let info) = try common(output, VersionParser.parse) {
            try require(info.active.unicodeScalars.first.map { ("0"..."9").contains($0) } ?? false, "version does not start with a digit: \(quoted(info.active))")
            try require(!info.active.contains(where: \.isWhitespace), "whitespace in version \(quoted(info.active))")
            try require(info.lines.contains { $0.hasSuffix(info.active) }, "version \(quoted(info.active)) not on any line of \(info.lines)")
            try require(info.lines.allSatisfy { !$0.isEmpty && $0 == trimmed($0) }, "blank or untrimmed version lines: \(info.lines)")
        }
    }

    static func serviceList(_ input: [UInt8]) throws {
        let output = text(input)
        if case .parsed(let list) = try common(output, ServiceListParser.parse) {
            try require(!list.services.isEmpty, "a parsed service list without services")
            for service in list.services {
                try require(!service.name.isEmpty && !service.rawState.isEmpty, "empty service name or state: \(service)")
                let expected: ServiceState = switch service.rawState.uppercased() {
                case "STARTED": .started
                case "STOPPED": .stopped
                default: .other
                }
                try require(service.state == expected, "state \(service.state) for raw state \(quoted(service.rawState))")
                try require(list.service(named: service.name) != nil, "service \(quoted(service.name)) not found by its own name")
            }
        }
    }

    static func failureMarker(_ input: [UInt8]) throws {
        let output = text(input)
        let marker = FailureMarker.detect(in: output)
        try require(marker == FailureMarker.detect(in: output), "detect is not deterministic")
        if let marker {
            try require(!marker.isEmpty, "an empty failure marker")
            let lower = marker.lowercased()
            try require(lower.contains("executed command unsuccessfully") || lower.hasPrefix("invalid command"),
                        "marker \(quoted(marker)) holds neither failure wording")
        }
        // Every parser checks for the marker first: a failed command is never read as a result.
        try parseAll(output)
    }

    // MARK: Shared

    /// Every parser on one text: no trap, deterministic, and failed exactly when the marker is there.
    static func parseAll(_ output: String) throws {
        _ = try common(output, OriginListParser.parseNumbered)
        _ = try common(output, OriginListParser.parseFinesse)
        _ = try common(output, CorsStatusParser.parse)
        _ = try common(output, VersionParser.parse)
        _ = try common(output, ServiceListParser.parse)
        if case .parsed(let membership) = try common(output, ClusterMembershipParser.parse) {
            // Never "no other nodes": a parsed view has members, unique, with at most one publisher.
            try require(!membership.members.isEmpty, "a parsed cluster membership without members")
            try require(Set(membership.members.map(\.host)).count == membership.members.count, "a member listed twice: \(membership.members.map(\.host))")
            try require(membership.members.filter { $0.role == .publisher }.count <= 1, "several publishers: \(membership.members)")
        }
    }

    /// What holds for every parser: determinism, the failure marker decides `.failed`, reasons are
    /// not empty, and CRLF line ends read like LF.
    @discardableResult
    static func common<V>(_ output: String, _ parse: (String) -> ParseOutcome<V>) throws -> ParseOutcome<V> {
        let outcome = parse(output)
        try require(parse(output) == outcome, "parse is not deterministic on \(quoted(output))")
        let marker = FailureMarker.detect(in: output)
        switch outcome {
        case .failed(let line):
            try require(line == marker, "failed with \(quoted(line)) but the marker is \(marker.map(quoted) ?? "nil")")
        case .unparsed(let reason):
            try require(marker == nil, "unparsed though the marker \(quoted(marker!)) is there")
            try require(!reason.isEmpty, "unparsed without a reason")
        case .parsed:
            try require(marker == nil, "parsed though the marker \(quoted(marker!)) is there")
        }
        if let crlf = withCRLF(output) {
            let viaCRLF = parse(crlf)
            try require(viaCRLF == outcome, "CRLF line ends change the outcome: \(outcome) → \(viaCRLF)")
        }
        return outcome
    }

    /// The audit's reading of one stored entry: only canonical origins come out of it.
    static func originAnalysis(_ entry: String) throws {
        let analysis = OriginAnalysis.analyze(entry)
        try require(analysis == OriginAnalysis.analyze(entry), "analyze is not deterministic on \(quoted(entry))")
        switch analysis {
        case .effective(let origin):
            try require(origin.description == entry, "effective \(quoted(entry)) reads as \(origin)")
            try require(Origin(canonical: entry) == origin, "effective \(quoted(entry)) is not canonical")
            try require(OriginAnalysis.isSafeForCommandLine(entry), "effective \(quoted(entry)) is not safe for a command line")
            try require(entry.unicodeScalars.allSatisfy(isOriginScalar),
                        "effective \(quoted(entry)) holds a character outside [a-z0-9.:/[]-]")
        case .ineffective(let reason, let meant):
            try require(!reason.isEmpty, "ineffective without a reason")
            try require(Origin(canonical: entry) == nil, "ineffective \(quoted(entry)) parses as canonical")
            try require(!OriginAnalysis.isSafeForCommandLine(entry), "ineffective \(quoted(entry)) deemed safe for a command line")
            if let meant {
                try require(Origin(canonical: meant.description) == meant, "meant origin \(meant) of \(quoted(entry)) is not canonical")
                try require(OriginAnalysis.analyze(meant.description) == .effective(meant), "meant origin \(meant) is not effective")
            }
        }
    }

    // MARK: Helpers

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value)
    }

    /// What the splitter removes: a terminal shows nothing for C0 controls (but tabs) or DEL.
    static func isC0Control(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || s.value == 0x7F
    }

    static func isOriginScalar(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("0"..."9").contains(s) || ".:/[]-".unicodeScalars.contains(s)
    }

    /// The parsers' trim: only what VOS prints as padding (ASCII space, tab, carriage return) at either end;
    /// other white-space and format characters are content.
    static func trimmed<S: StringProtocol>(_ s: S) -> String {
        var scalars = Substring(s).unicodeScalars[...]
        func trimmable(_ u: Unicode.Scalar) -> Bool { u == " " || u == "\t" || u == "\r" }
        while let f = scalars.first, trimmable(f) { scalars.removeFirst() }
        while let l = scalars.last, trimmable(l) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// The text with every `\n` as `\r\n`; nil when escape sequences make the change more than a line-end change.
    static func withCRLF(_ s: String) -> String? {
        guard s.unicodeScalars.contains("\n"), !s.unicodeScalars.contains(where: { $0 == "\u{1B}" || (0x80...0x9F).contains($0.value) })
        else { return nil }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if u == "\n" { out.append("\r") }
            out.append(u)
        }
        return String(out)
    }

    /// Lines in the text as the splitter counts them (LF ends lines, or CR when there is no LF).
    static func lineCount(_ s: String) -> Int? {
        let scalars = s.unicodeScalars
        let end: Unicode.Scalar = scalars.contains("\n") ? "\n" : "\r"
        return scalars.filter { $0 == end }.count + 1
    }

    static func quoted<S: StringProtocol>(_ s: S) -> String {
        String(reflecting: String(s.prefix(300)))
    }
}
