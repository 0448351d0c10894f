import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hands out distinct 127.0.0.0/8 addresses so concurrently running tests (and test processes)
/// never collide on a listen address, and finds free ports on them.
public enum LoopbackAddresses {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0
    /// The second and third octets separate test processes: 127.<pid-derived>.<pid-derived + n>.y.
    private static let processOctet = Int(getpid() % 200) + 20
    private static let processBlock = Int(getpid() / 200 % 250)

    /// A fresh loopback address (127.a.b.c with c in 2...250).
    public static func next() -> String {
        lock.lock(); defer { lock.unlock() }
        counter += 1
        let n = counter
        return "127.\(processOctet).\((processBlock + n / 249) % 250).\(n % 249 + 2)"
    }

    /// A port on which nothing listens on `address` right now (the kernel's choice for a bind to 0).
    public static func freePort(on address: String) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddrIn(address, port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: out.sin_port))
    }

    /// An address and port where a TCP connect is refused (nothing listens there).
    public static func refusedEndpoint() -> (address: String, port: Int) {
        let address = next()
        return (address, freePort(on: address) ?? 1)
    }

    /// Whether a blocking TCP connect succeeds (loopback: immediate either way).
    static func canConnect(address: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddrIn(address, port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    static func sockaddrIn(_ address: String, port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, address, &addr.sin_addr)
        return addr
    }
}

/// A raw TCP listener on loopback that misbehaves as an SSH server: it never speaks, or it
/// answers with bytes that are not an SSH identification.
public final class TestListener: @unchecked Sendable {
    /// What the listener does with a connection.
    public enum Behavior: Sendable {
        /// Never accepts: the kernel completes the TCP handshake and the client waits for a banner forever.
        case silent
        /// Accepts, sends these bytes, and keeps the connection open until stopped.
        case send([UInt8])
        /// Accepts, sends these bytes, and closes.
        case sendAndClose([UInt8])
        /// Never accepts and its accept queue is full: the kernel drops further SYNs, so a TCP
        /// connect never completes (a connect timeout without firewall rules).
        case unreachable
    }

    public let address: String
    public let port: Int
    private let fd: Int32
    private let behavior: Behavior
    private let lock = NSLock()
    private var accepted: [Int32] = []
    private var running = true
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// Opens a listener with the behaviour on `address` (default: a fresh loopback address; it
    /// must be in 127.0.0.0/8).
    public init(_ behavior: Behavior, address: String? = nil) throws {
        self.behavior = behavior
        let address = address ?? LoopbackAddresses.next()
        guard address.hasPrefix("127.") else { throw HarnessError("test listeners stay on loopback, not \(address)") }
        // CLOEXEC: the sshd instances spawned meanwhile must not inherit the listener.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var addr = LoopbackAddresses.sockaddrIn(address, port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var backlogFiller: Int32 = -1
        if case .unreachable = behavior { backlogFiller = 0 }
        guard bound == 0, listen(fd, backlogFiller == 0 ? 0 : 128) == 0 else {
            close(fd)
            throw HarnessError("bind/listen on \(address): errno \(errno)")
        }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.address = address
        self.fd = fd
        port = Int(UInt16(bigEndian: out.sin_port))
        if case .unreachable = behavior {
            // A backlog of 0 holds one connection: ours fills it.
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var target = LoopbackAddresses.sockaddrIn(address, port: port)
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            accepted.append(filler)
        }
        switch behavior {
        case .silent, .unreachable:
            finished.signal()
            return
        default:
            break
        }
        let thread = Thread { [self] in acceptLoop() }
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// Closes the listener and every connection it accepted; bounded.
    public func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        guard wasRunning else { return }
        _ = finished.wait(timeout: .now() + 2)
        lock.lock()
        for client in accepted { close(client) }
        accepted = []
        lock.unlock()
        close(fd)
    }

    private func acceptLoop() {
        defer { finished.signal() }
        while true {
            lock.lock(); let keepGoing = running; lock.unlock()
            if !keepGoing { return }
            // Short polls so stop() is noticed quickly without a wake-up pipe.
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            switch behavior {
            case .silent, .unreachable:
                break
            case .send(let bytes):
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                lock.lock(); accepted.append(client); lock.unlock()
            case .sendAndClose(let bytes):
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
    }
}
