import AuditCore
/// Escaping for each output format; every device-provided string passes through one of these.
enum Escape {
    static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" || scalar.value == 0x7F {
                    out += "&#x\(String(scalar.value, radix: 16));"  // visible, never raw control bytes
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// XML 1.0 text/attribute content; characters XML cannot carry at all are replaced.
    static func xml(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            case "\r": out += "&#13;"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Markdown inline text: characters with markup meaning are backslash-escaped, newlines flattened.
    static func markdown(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "!": out += "\\" + String(ch)
            case "\n", "\r": out += " "
            default: out += Escaping.controls(String(ch))
            }
        }
        return out
    }

    /// A CommonMark inline code span showing `s` literally (terminal-unsafe characters as `\u{..}`): delimited by
    /// one more backtick than the longest run inside, so no backtick in an entry can close it early and let
    /// the rest be read as raw HTML or a link; padded with a space when the content starts or ends with a
    /// backtick or a space (CommonMark strips one space from each side of such a span).
    static func codeSpan(_ s: String) -> String {
        var content = ""
        for ch in Escaping.terminal(s) { content.append(ch == "\n" || ch == "\r" ? " " : ch) }
        guard !content.isEmpty else { return "` `" }
        var longest = 0, run = 0
        for ch in content {
            if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 }
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = (content.first == "`" || content.last == "`" || content.first == " " || content.last == " ")
            && !content.allSatisfy({ $0 == " " })
        return pad ? "\(fence) \(content) \(fence)" : fence + content + fence
    }

    /// Prometheus label value: backslash, double quote and line feed escaped, per Unicode scalar (a CR LF pair is one
    /// Character, so a per-Character match would let its line feed through and split the sample line). The format has
    /// no other escapes: the other C0 controls and DEL, which a textfile reader would take as they are, become U+FFFD.
    static func promLabel(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
