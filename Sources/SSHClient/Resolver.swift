import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A resolved socket address, copied out of getaddrinfo's list so it can cross threads.
struct ResolvedAddress: Sendable {
    var storage: sockaddr_storage
    var length: socklen_t
    var family: Int32

    init(_ addr: UnsafePointer<sockaddr>, length: socklen_t) {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(length)))
        }
        self.storage = storage
        self.length = length
        family = Int32(addr.pointee.sa_family)
    }

    /// The same address with `port` set.
    func with(port: Int) -> ResolvedAddress {
        var copy = self
        withUnsafeMutableBytes(of: &copy.storage) { raw in
            if family == AF_INET {
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_port = UInt16(port).bigEndian
            } else if family == AF_INET6 {
                raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_port = UInt16(port).bigEndian
            }
        }
        return copy
    }

    var numericHost: String {
        var storage = self.storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        _ = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        return String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The answer for one name.
enum Resolution: Sendable {
    case addresses([ResolvedAddress])
    /// getaddrinfo's code and gai_strerror text.
    case failure(code: Int32, message: String)
}

/// Wakes the poll loop from other threads (resolver threads, task cancellation).
///
/// Closing is explicit, at the end of a run, so the run's descriptors are back before `run`
/// returns; a lock makes a late `wake()` (a lookup finishing after the run) a no-op instead of a
/// write into a closed, possibly reused, descriptor.
final class Waker: @unchecked Sendable {
    let readFD: Int32
    private let writeFD: Int32
    private let lock = NSLock()
    private var closed = false

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        readFD = fds[0]
        writeFD = fds[1]
        for fd in fds where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit { close() }

    func wake() {
        lock.lock(); defer { lock.unlock() }
        guard !closed, writeFD >= 0 else { return }
        var byte: UInt8 = 1
        // A full pipe already guarantees a wake-up: EAGAIN is fine.
        _ = write(writeFD, &byte, 1)
    }

    /// Loop thread only.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }

    func close() {
        lock.lock(); defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        if readFD >= 0 { Glibc.close(readFD) }
        if writeFD >= 0 { Glibc.close(writeFD) }
    }
}

/// Resolves names off the poll loop: getaddrinfo blocks (seconds, for a dead DNS server), so it
/// runs on a few threads of its own, and every name is resolved once per run however many nodes
/// share it. IP literals are answered at once, on the caller's thread.
final class Resolver: @unchecked Sendable {
    private static let maxThreads = 8
    private let waker: Waker
    private let lock = NSLock()
    private var queue: [String] = []
    private var threads = 0
    private var completed: [(String, Resolution)] = []
    /// Loop-thread only.
    private var cache: [String: Resolution] = [:]
    private var inFlight: Set<String> = []

    init(waker: Waker) {
        self.waker = waker
    }

    /// The cached or immediate answer, or nil once a lookup has been started (its result comes
    /// through `takeCompleted` after a wake-up). Loop thread only.
    func lookup(_ name: String) -> Resolution? {
        if let known = cache[name] { return known }
        if let numeric = Self.resolve(name, numericOnly: true) {
            cache[name] = numeric
            return numeric
        }
        if inFlight.insert(name).inserted {
            lock.lock()
            queue.append(name)
            let spawn = threads < Self.maxThreads
            if spawn { threads += 1 }
            lock.unlock()
            if spawn {
                let thread = Thread { [self] in work() }
                thread.name = "cors-audit.resolver"
                thread.start()
            }
        }
        return nil
    }

    /// Answers that arrived since the last call, now cached. Loop thread only.
    func takeCompleted() -> [(String, Resolution)] {
        lock.lock()
        let done = completed
        completed = []
        lock.unlock()
        for (name, result) in done {
            cache[name] = result
            inFlight.remove(name)
        }
        return done
    }

    private func work() {
        while true {
            lock.lock()
            guard !queue.isEmpty else {
                threads -= 1
                lock.unlock()
                return
            }
            let name = queue.removeFirst()
            lock.unlock()
            let result = Self.resolve(name, numericOnly: false)
                ?? .failure(code: EAI_FAIL, message: String(cString: gai_strerror(EAI_FAIL)))
            lock.lock()
            completed.append((name, result))
            lock.unlock()
            waker.wake()
        }
    }

    /// getaddrinfo for TCP; with `numericOnly`, nil unless `name` is an IP literal.
    static func resolve(_ name: String, numericOnly: Bool) -> Resolution? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        // No AI_ADDRCONFIG: it hides IPv4 answers on hosts whose only IPv4 address is loopback.
        hints.ai_flags = numericOnly ? AI_NUMERICHOST : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, nil, &hints, &list)
        if rc != 0 {
            if numericOnly { return nil }
            let text = rc == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(rc))
            return .failure(code: rc, message: text)
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var node = list
        while let current = node {
            if let addr = current.pointee.ai_addr {
                addresses.append(ResolvedAddress(addr, length: current.pointee.ai_addrlen))
            }
            node = current.pointee.ai_next
        }
        if addresses.isEmpty {
            return .failure(code: EAI_NONAME, message: String(cString: gai_strerror(EAI_NONAME)))
        }
        return .addresses(addresses)
    }
}
