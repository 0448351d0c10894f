/// Finds YAML anchors (`&name`) and aliases (`*name`) in inventory text before Yams composes it: a few lines of aliases
/// referring to aliases expand into billions of nodes (and Yams hashes alias keys whole while composing), so a few-KB
/// file would hang the loader. The inventory needs neither.
///
/// Conservative by design: it reports every `&name` / `*name` that libyaml could read as a token (the name of
/// letters, digits, `_`, `-`, followed by a blank, a line end or one of `?:,]}%@` and a backtick, and preceded by a line
/// start, a blank or an indicator), wherever it stands — inside quotes or a block scalar too, where it is only text.
/// The one part it skips is a comment on a line without any quote character (there a `#` after a blank or at the line
/// start cannot be inside a quoted scalar that ends on the same line). Columns count Unicode scalars, as libyaml's do.
enum YAMLAliasScan {
    struct Found: Equatable {
        var line: Int
        var column: Int
        /// `&name` or `*name`.
        var token: String
        var isAnchor: Bool { token.hasPrefix("&") }
    }

    static func first(in text: String) -> Found? {
        var line: [Unicode.Scalar] = []
        var number = 1
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            // libyaml's line breaks: LF, CR, CR LF (one break), NEL, LS, PS.
            let isBreak = scalar == "\n" || scalar == "\r" || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
            if isBreak {
                if scalar == "\n" && previous == "\r" { previous = scalar; continue }
                if let found = scan(line, number: number) { return found }
                line.removeAll(keepingCapacity: true)
                number += 1
            } else {
                line.append(scalar)
            }
            previous = scalar
        }
        return scan(line, number: number)
    }

    private static func scan(_ line: [Unicode.Scalar], number: Int) -> Found? {
        var end = line.count
        if !line.contains("\"") && !line.contains("'") {
            for i in line.indices where line[i] == "#" && (i == 0 || line[i - 1] == " " || line[i - 1] == "\t") {
                end = i
                break
            }
        }
        var i = 0
        while i < end {
            let c = line[i]
            if (c == "&" || c == "*") && (i == 0 || before.contains(line[i - 1])) {
                var j = i + 1
                while j < line.count && isNameCharacter(line[j]) { j += 1 }
                if j > i + 1 && (j == line.count || after.contains(line[j])) {
                    var token = ""
                    token.unicodeScalars.append(contentsOf: line[i..<j])
                    return Found(line: number, column: i + 1, token: token)
                }
            }
            i += 1
        }
        return nil
    }

    /// What may end the token before an anchor or alias: blanks, indicators, a closing quote, a byte-order mark.
    private static let before: Set<Unicode.Scalar> = [" ", "\t", "?", ":", ",", "[", "]", "{", "}", "\"", "'", "-", "!", "|", ">", "\u{FEFF}"]
    /// What libyaml accepts right after the name (besides a blank or a line end).
    private static let after: Set<Unicode.Scalar> = [" ", "\t", "?", ":", ",", "]", "}", "%", "@", "`"]

    private static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }
}
