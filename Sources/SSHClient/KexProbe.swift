import CLibssh2
#if canImport(Glibc)
import Glibc
#endif

/// The algorithm name-lists one side of an SSH key exchange offers.
struct AlgorithmOffer: Sendable, Equatable, CustomStringConvertible {
    var kex: [String] = []
    var hostKey: [String] = []
    /// Client to server.
    var ciphers: [String] = []
    /// Client to server.
    var macs: [String] = []

    init() {}

    init(kex: [String], hostKey: [String], ciphers: [String], macs: [String]) {
        self.kex = kex
        self.hostKey = hostKey
        self.ciphers = ciphers
        self.macs = macs
    }

    /// What this libssh2 offers by default (its supported algorithms, in preference order).
    init(session: OpaquePointer) {
        kex = LibSSH2.supportedAlgorithms(session, CORS_LIBSSH2_METHOD_KEX)
        hostKey = LibSSH2.supportedAlgorithms(session, CORS_LIBSSH2_METHOD_HOSTKEY)
        ciphers = LibSSH2.supportedAlgorithms(session, CORS_LIBSSH2_METHOD_CRYPT_CS)
        macs = LibSSH2.supportedAlgorithms(session, CORS_LIBSSH2_METHOD_MAC_CS)
    }

    var description: String {
        "kex: \(kex.joined(separator: ",")); host key: \(hostKey.joined(separator: ",")); "
            + "ciphers: \(ciphers.joined(separator: ",")); macs: \(macs.joined(separator: ","))"
    }

    /// The families (`kex`, `host key`, `cipher`, `mac`) in which the two offers share nothing.
    func familiesWithoutOverlap(_ other: AlgorithmOffer) -> [String] {
        var gaps: [String] = []
        // Extension pseudo-algorithms (ext-info-*, kex-strict-*) are not key exchanges.
        let realKex = other.kex.filter { !$0.hasPrefix("ext-info-") && !$0.hasPrefix("kex-strict-") }
        if Set(kex).isDisjoint(with: realKex) { gaps.append("key exchange") }
        if Set(hostKey).isDisjoint(with: other.hostKey) { gaps.append("host key algorithm") }
        if Set(ciphers).isDisjoint(with: other.ciphers) { gaps.append("cipher") }
        if Set(macs).isDisjoint(with: other.macs) { gaps.append("MAC") }
        return gaps
    }
}

/// Reads a server's KEXINIT over a separate connection, on the poll loop like any session.
///
/// The identification string and the first KEXINIT are plaintext, so after libssh2 fails to
/// negotiate we can still say what the server offers: connect, send our identification, read
/// the server's identification and its first binary packet, parse the name-lists.
final class KexProbe {
    /// Each stage holds the socket it works on; `done` holds none.
    private enum Stage {
        case connecting(NonBlockingConnect)
        case sending(fd: Int32)
        case reading(fd: Int32)
        case done
    }

    let deadline: ContinuousClock.Instant
    private var stage: Stage = .done
    private var outgoing = Array("SSH-2.0-cors_audit_probe\r\n".utf8)
    private var incoming: [UInt8] = []
    private(set) var serverOffer: AlgorithmOffer?
    private(set) var failureReason: String?
    private static let limit = 64 * 1024

    init(address: ResolvedAddress, deadline: ContinuousClock.Instant) {
        self.deadline = deadline
        do {
            stage = .connecting(try NonBlockingConnect(to: [address]))
        } catch {
            fail("\(error.call.rawValue): \(String(cString: strerror(error.code)))")
        }
    }

    deinit { close() }

    /// The socket to poll; -1 once done.
    var fd: Int32 {
        switch stage {
        case .connecting(let connect): return connect.fd
        case .sending(let fd), .reading(let fd): return fd
        case .done: return -1
        }
    }

    var events: Int16 {
        switch stage {
        case .connecting, .sending: return Int16(POLLOUT)
        case .reading: return Int16(POLLIN)
        case .done: return 0
        }
    }

    /// Does what the socket allows; true once finished (with or without an offer).
    func step() -> Bool {
        while true {
            switch stage {
            case .done:
                return true
            case .connecting(var connect):
                let progress = connect.check()
                stage = .connecting(connect)
                switch progress {
                case .waiting:
                    return false
                case .connected(let fd, _):
                    stage = .sending(fd: fd)
                case .failed(let failure):
                    fail("connect: \(String(cString: strerror(failure.code)))")
                    return true
                }
            case .sending(let fd):
                let n = outgoing.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { return false }
                    fail("send: \(String(cString: strerror(errno)))")
                    return true
                }
                outgoing.removeFirst(n)
                if outgoing.isEmpty { stage = .reading(fd: fd) }
            case .reading(let fd):
                var buffer = [UInt8](repeating: 0, count: 8192)
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { return false }
                    fail("recv: \(String(cString: strerror(errno)))")
                    return true
                }
                if n == 0 { fail("the server closed the connection before its KEXINIT"); return true }
                incoming += buffer[0..<n]
                if let offer = parse() {
                    serverOffer = offer
                    close()
                    return true
                }
                if failureReason != nil { return true }
                if incoming.count > Self.limit { fail("no KEXINIT in the first \(Self.limit) bytes"); return true }
            }
        }
    }

    /// Closes the socket; the probe is done.
    func close() {
        switch stage {
        case .connecting(var connect): connect.close()
        case .sending(let fd), .reading(let fd): Glibc.close(fd)
        case .done: break
        }
        stage = .done
    }

    private func fail(_ reason: String) {
        failureReason = reason
        close()
    }

    /// The offer once the identification line and the whole first packet are in; nil until then.
    private func parse() -> AlgorithmOffer? {
        // Servers may send other lines before their "SSH-" identification line.
        var start = 0
        while true {
            guard let newline = incoming[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let line = incoming[start..<newline]
            start = newline + 1
            if line.starts(with: Array("SSH-".utf8)) { break }
        }
        let packet = incoming[start...]
        guard packet.count >= 5 else { return nil }
        let base = packet.startIndex
        let length = Int(packet[base]) << 24 | Int(packet[base + 1]) << 16 | Int(packet[base + 2]) << 8 | Int(packet[base + 3])
        guard length > 1, length < 256 * 1024 else { fail("implausible packet length \(length)"); return nil }
        guard packet.count >= 4 + length else { return nil }
        let padding = Int(packet[base + 4])
        let payloadEnd = base + 4 + length - padding
        guard payloadEnd > base + 5 else { fail("malformed first packet"); return nil }
        let payload = Array(packet[(base + 5)..<payloadEnd])
        // SSH_MSG_KEXINIT = 20, then a 16-byte cookie, then the name-lists.
        guard payload.first == 20, payload.count > 17 else { fail("the first packet is not a KEXINIT"); return nil }
        var offset = 17
        var lists: [[String]] = []
        for _ in 0..<6 {
            guard offset + 4 <= payload.count else { fail("truncated KEXINIT"); return nil }
            let count = Int(payload[offset]) << 24 | Int(payload[offset + 1]) << 16 | Int(payload[offset + 2]) << 8 | Int(payload[offset + 3])
            offset += 4
            guard offset + count <= payload.count else { fail("truncated KEXINIT"); return nil }
            let text = String(decoding: payload[offset..<(offset + count)], as: UTF8.self)
            lists.append(text.split(separator: ",").map(String.init))
            offset += count
        }
        // kex, host key, cipher c2s, cipher s2c, mac c2s, mac s2c
        return AlgorithmOffer(kex: lists[0], hostKey: lists[1], ciphers: lists[2], macs: lists[4])
    }
}
