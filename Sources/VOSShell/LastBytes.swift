/// The tail of a session for error details, shared by every conversation.
enum LastBytes {
    /// The last `count` bytes of `transcript`, ANSI-stripped, control characters escaped (`\r`, `\n`,
    /// `\t`, `\u{1B}` style; a backslash as `\\`).
    static func describe(_ transcript: [UInt8], count: Int) -> String {
        let count = min(count, transcript.count)
        guard count > 0 else { return "" }
        // Strip a wider raw window so `count` visible bytes remain after the escapes go.
        let raw = transcript.suffix(count * 4 + 64)
        var tail = ArraySlice(ANSIFilter.strip(raw).suffix(count))
        // Do not start in the middle of a UTF-8 character.
        while let first = tail.first, (0x80...0xBF).contains(first) { tail = tail.dropFirst() }
        var out = ""
        for scalar in String(decoding: tail, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
