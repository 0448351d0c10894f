/// Keyboard-interactive authentication (RFC 4256) grafted onto swift-nio-ssh 0.15, which has none.
///
/// Some VOS builds accept only keyboard-interactive (the client answers a `Password:` prompt), and
/// the client must cope. swift-nio-ssh drops a connection whose USERAUTH_REQUEST names a method
/// it does not know, and cannot send USERAUTH_INFO_REQUEST. The transport protection sees every
/// plaintext message in both directions, so this shim translates at that layer:
///
/// - outbound USERAUTH_FAILURE: the method list the server's delegate advertises is rewritten:
///   `hostbased` (which the simulator never accepts) stands for `keyboard-interactive`;
/// - inbound USERAUTH_REQUEST for `keyboard-interactive`: becomes a `none` request, which the
///   delegate answers with a failure, and that failure goes out as a USERAUTH_INFO_REQUEST with one
///   non-echoed `Password: ` prompt;
/// - inbound USERAUTH_INFO_RESPONSE: becomes a `password` request whose password carries
///   `passwordMarker` in front of the answer, so the delegate knows which method was used.
///
/// Only messages of the user-authentication phase are touched; everything else passes unchanged.
struct KeyboardInteractiveShim {
    /// Prefixed to a password that arrived as a keyboard-interactive answer (a NUL-framed tag no
    /// typed password contains).
    static let passwordMarker = "\u{0}kbd-int\u{0}"

    private enum State {
        case idle
        /// A keyboard-interactive request became `none`; its failure must turn into the prompt.
        case awaitingFailure(user: String, service: String)
        /// The prompt went out; the next INFO_RESPONSE is the answer.
        case awaitingResponse(user: String, service: String)
        /// Authentication succeeded: nothing more to translate.
        case done
    }

    private var state = State.idle
    /// The one question asked: `Password: `, or `verificationCodePrompt` on a faulty node.
    private let prompt: String

    /// What a `kbd_int_unexpected_prompt` node asks instead of a password (a second factor).
    static let verificationCodePrompt = "Verification code: "

    init(prompt: String = "Password: ") {
        self.prompt = prompt
    }

    static let userAuthRequest: UInt8 = 50
    static let userAuthFailure: UInt8 = 51
    static let userAuthSuccess: UInt8 = 52
    static let infoRequest: UInt8 = 60
    static let infoResponse: UInt8 = 61

    /// The replacement for an inbound payload, or nil to pass it on unchanged.
    mutating func inbound(_ payload: [UInt8]) -> [UInt8]? {
        if case .done = state { return nil }
        var reader = SSHWireReader(payload)
        guard let type = reader.byte() else { return nil }
        switch (type, state) {
        case (Self.userAuthRequest, _):
            guard let user = reader.string(), let service = reader.string(), let method = reader.string(),
                  method == "keyboard-interactive" else {
                state = .idle
                return nil
            }
            state = .awaitingFailure(user: user, service: service)
            var w = SSHWireWriter()
            w.byte(Self.userAuthRequest); w.string(user); w.string(service); w.string("none")
            return w.bytes
        case (Self.infoResponse, .awaitingResponse(let user, let service)):
            state = .idle
            var answer = ""
            if let count = reader.uint32(), count >= 1, let first = reader.string() { answer = first }
            var w = SSHWireWriter()
            w.byte(Self.userAuthRequest); w.string(user); w.string(service); w.string("password")
            w.byte(0); w.string(Self.passwordMarker + answer)
            return w.bytes
        default:
            return nil
        }
    }

    /// The replacement for an outbound payload, or nil to send it unchanged.
    mutating func outbound(_ payload: [UInt8]) -> [UInt8]? {
        if case .done = state { return nil }
        var reader = SSHWireReader(payload)
        guard let type = reader.byte() else { return nil }
        switch type {
        case Self.userAuthSuccess:
            state = .done
            return nil
        case Self.userAuthFailure:
            if case .awaitingFailure(let user, let service) = state {
                state = .awaitingResponse(user: user, service: service)
                var w = SSHWireWriter()
                w.byte(Self.infoRequest)
                w.string("")  // name
                w.string("")  // instruction
                w.string("")  // language tag
                w.uint32(1)
                w.string(prompt)
                w.byte(0)  // do not echo
                return w.bytes
            }
            guard let list = reader.string(), let partial = reader.byte() else { return nil }
            let methods = list.split(separator: ",").map { $0 == "hostbased" ? "keyboard-interactive" : String($0) }
            var w = SSHWireWriter()
            w.byte(Self.userAuthFailure); w.string(methods.joined(separator: ",")); w.byte(partial)
            return w.bytes
        default:
            return nil
        }
    }
}

/// Reads SSH wire types (RFC 4251 §5) from a message payload.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func uint32() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        defer { index += 4 }
        return bytes[index..<index + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func string() -> String? {
        guard let n = uint32(), index + Int(n) <= bytes.count else { return nil }
        defer { index += Int(n) }
        return String(decoding: bytes[index..<index + Int(n)], as: UTF8.self)
    }
}

/// Writes SSH wire types (RFC 4251 §5).
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []
    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func uint32(_ v: UInt32) { bytes += v.bigEndianBytes }
    mutating func string(_ s: String) {
        uint32(UInt32(s.utf8.count))
        bytes += Array(s.utf8)
    }
}
