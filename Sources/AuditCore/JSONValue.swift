/// A JSON value with ordered object keys, so reports serialize in their documented order, byte for byte.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    public static func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    public static func optional(_ b: Bool?) -> JSONValue { b.map { .bool($0) } ?? .null }
    public static func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }

    /// Pretty-printed with two-space indentation and a trailing newline.
    public func serialized() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out += "\n"
        return out
    }

    /// The same text as `serialized()`, handed to `emit` in pieces of about `chunk` bytes: a large report is never
    /// whole in memory.
    public func serialize(chunk: Int = 1 << 16, _ emit: (inout String) -> Void) {
        var out = ""
        out.reserveCapacity(chunk + chunk / 4)
        write(into: &out, indent: 0) { out in
            guard out.utf8.count >= chunk else { return }
            emit(&out)
            out.removeAll(keepingCapacity: true)
        }
        out += "\n"
        emit(&out)
    }

    /// `flush` is offered the text after each element of an array or object.
    private func write(into out: inout String, indent: Int, flush: (inout String) -> Void = { _ in }) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            let pad = String(repeating: "  ", count: indent + 1), closePad = String(repeating: "  ", count: indent)
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent + 1, flush: flush)
                out += i == items.count - 1 ? "\n" : ",\n"
                flush(&out)
            }
            out += closePad + "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            let pad = String(repeating: "  ", count: indent + 1), closePad = String(repeating: "  ", count: indent)
            out += "{\n"
            for (i, (key, value)) in pairs.enumerated() {
                out += pad
                JSONValue.quote(key, into: &out)
                out += ": "
                value.write(into: &out, indent: indent + 1, flush: flush)
                out += i == pairs.count - 1 ? "\n" : ",\n"
                flush(&out)
            }
            out += closePad + "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        // Most report text is printable ASCII without a quote or backslash: it goes in as it is.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                // Also what a terminal would act on or hide (JSON goes to stdout too): the same characters, escaped.
                if Escaping.isUnsafeOnTerminal(scalar) || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let v = scalar.value
                    let units: [UInt32] = v > 0xFFFF ? [0xD800 + ((v - 0x10000) >> 10), 0xDC00 + ((v - 0x10000) & 0x3FF)] : [v]
                    for unit in units {
                        let hex = String(unit, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
