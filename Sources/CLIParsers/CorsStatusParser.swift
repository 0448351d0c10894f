/// CORS mode as the `... cors status` commands report it.
public enum CorsState: String, Sendable, Equatable, Codable {
    /// Only listed origins are allowed.
    case enabled
    /// CORS headers are not sent.
    case disabled
    /// Finesse's permissive mode: any origin is allowed.
    case enableAll = "enable_all"
}

/// Parser for the `... cors status` commands.
public enum CorsStatusParser {
    /// `utils cuic cors status`, `utils live-data cors status`, `utils finesse cors status`.
    ///
    /// The CUIC and Live Data wording is not publicly known, so this reads any text that states exactly one of
    /// enabled / disabled / enable_all (or a `key: true|false` line about CORS, its status or enabling) and
    /// refuses everything else.
    public static func parse(_ output: String) -> ParseOutcome<CorsState> {
        let text = CommandText(output)
        if let marker = FailureMarker.detect(in: text) { return .failed(marker) }
        if let reason = text.notOneCommand { return .unparsed(reason) }
        let lines = text.content
        guard !lines.isEmpty else { return .unparsed("no output") }

        var found: [CorsState] = []
        for line in lines {
            switch states(in: line) {
            case .states(let states):
                for state in states where !found.contains(state) { found.append(state) }
            case .ambiguous(let reason):
                return .unparsed(reason)
            }
        }
        switch found.count {
        case 1: return .parsed(found[0])
        case 0: return .unparsed("no enabled, disabled or enable_all state in the text")
        default: return .unparsed("the text states more than one state: \(found.map(\.rawValue).joined(separator: ", "))")
        }
    }

    private enum LineReading {
        case states([CorsState])
        case ambiguous(String)
    }

    private static let negations: Set<String> = ["not", "isn't", "isnt", "never", "no"]
    private static let positive: Set<String> = ["true", "yes", "on"]
    private static let negative: Set<String> = ["false", "no", "off"]
    private static let keyWords: Set<String> = ["cors", "status", "state", "enabled", "enable", "disabled", "disable"]

    private static func states(in line: String) -> LineReading {
        // `key: value` / `key=value` with a one-word value: the value decides, the key gives its polarity.
        if let split = line.firstIndex(where: { $0 == ":" || $0 == "=" }) {
            let keyWordsList = words(String(line[..<split]))
            let valueWords = words(String(line[line.index(after: split)...]))
            if valueWords.count == 1, let value = valueWords.first {
                let inverted = keyWordsList.contains("disabled") || keyWordsList.contains("disable")
                switch value {
                case "enable_all": return .states([.enableAll])
                case "enabled": return .states([inverted ? .disabled : .enabled])
                case "disabled": return .states([inverted ? .enabled : .disabled])
                case _ where positive.contains(value) || negative.contains(value):
                    // "Allow credentials: true" says nothing about CORS being on.
                    guard keyWordsList.contains(where: keyWords.contains) else { return .states([]) }
                    let on = positive.contains(value) != inverted
                    return .states([on ? .enabled : .disabled])
                default: break
                }
            }
        }

        let w = words(line)
        var states: [CorsState] = []
        for (i, word) in w.enumerated() {
            let state: CorsState
            switch word {
            case "enable_all": state = .enableAll
            case "enabled", "disabled":
                let negated = w[max(0, i - 2)..<i].contains(where: negations.contains)
                state = (word == "enabled") != negated ? .enabled : .disabled
            default: continue
            }
            if !states.contains(state) { states.append(state) }
        }
        // "cors enabled false" without a separator: the boolean may negate the word; refuse to pick.
        if !states.isEmpty, w.contains(where: { $0 == "true" || $0 == "false" }) {
            return .ambiguous("a line mixes a state word with true/false: \"\(line)\"")
        }
        return .states(states)
    }
}
