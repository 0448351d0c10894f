import VOSShell

/// What a parser made of one command's output.
public enum ParseOutcome<Value: Sendable & Equatable>: Sendable, Equatable {
    /// The output was understood.
    case parsed(Value)
    /// The output says the command failed; carries the failure-marker line, e.g. "Executed command unsuccessfully".
    case failed(String)
    /// The output was not understood; carries why (the caller keeps the raw text).
    case unparsed(String)
}

extension ParseOutcome {
    /// The parsed value, or nil when the command failed or its output was not understood.
    public var value: Value? {
        if case .parsed(let value) = self { return value }
        return nil
    }
}

// A flat `{"outcome": ..., ...}` shape rather than the synthesized `{"parsed": {"_0": ...}}`, so that
// stored results and golden files read naturally.
extension ParseOutcome: Codable where Value: Codable {
    private enum CodingKeys: String, CodingKey { case outcome, value, marker, reason }
    private enum Kind: String, Codable { case parsed, failed, unparsed }

    /// Decodes the `{"outcome": "parsed"|"failed"|"unparsed", ...}` shape written by `encode(to:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .outcome) {
        case .parsed: self = .parsed(try container.decode(Value.self, forKey: .value))
        case .failed: self = .failed(try container.decode(String.self, forKey: .marker))
        case .unparsed: self = .unparsed(try container.decode(String.self, forKey: .reason))
        }
    }

    /// Encodes as `{"outcome": "parsed", "value": ...}`, `{"outcome": "failed", "marker": ...}` or `{"outcome": "unparsed", "reason": ...}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .parsed(let value):
            try container.encode(Kind.parsed, forKey: .outcome)
            try container.encode(value, forKey: .value)
        case .failed(let marker):
            try container.encode(Kind.failed, forKey: .outcome)
            try container.encode(marker, forKey: .marker)
        case .unparsed(let reason):
            try container.encode(Kind.unparsed, forKey: .outcome)
            try container.encode(reason, forKey: .reason)
        }
    }
}

/// The generic signs that a VOS command failed rather than printed an (empty) result.
public enum FailureMarker {
    /// The marker line when the output says the command failed, else nil.
    public static func detect(in output: String) -> String? {
        detect(in: CommandText(output))
    }

    static func detect(in text: CommandText) -> String? {
        // Anywhere, even in text around the echo: VOS prints it after the command's own messages.
        for line in text.preamble + text.body where containsASCIICaseInsensitive(line, VOSText.commandFailed) {
            return line
        }
        // Only at the start of the output: an entry or message that merely mentions the words is not a failure.
        if let first = text.body.first(where: { !$0.isEmpty }), hasASCIIPrefixCaseInsensitive(first, VOSText.invalidCommand) {
            return first
        }
        return nil
    }
}
