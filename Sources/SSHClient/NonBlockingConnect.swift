#if canImport(Glibc)
import Glibc
#endif

/// Why a non-blocking connect gave up.
struct ConnectFailure: Error {
    enum Call: String { case socket, connect }
    var call: Call
    /// The errno of that call (of the last address tried, for `connect`).
    var code: Int32
    /// The last address tried; nil only when there was none.
    var address: ResolvedAddress?
}

/// A TCP connect that never blocks the poll loop: one non-blocking socket at a time, each
/// address in turn until one connects.
///
/// The value owns the socket it is connecting; once `check` reports `.connected` the caller
/// owns it. Whoever holds the value must store it back after `check`, which may switch sockets.
struct NonBlockingConnect {
    enum Progress {
        /// Still connecting (possibly to the next address); poll `fd` for POLLOUT.
        case waiting
        case connected(fd: Int32, address: ResolvedAddress)
        /// Every address failed; no socket is left open.
        case failed(ConnectFailure)
    }

    private let addresses: [ResolvedAddress]
    private var index = 0
    /// The socket in progress, or -1.
    private(set) var fd: Int32 = -1

    /// Starts connecting to the first address that accepts a connect (at once or in progress).
    init(to addresses: [ResolvedAddress]) throws(ConnectFailure) {
        self.addresses = addresses
        try startNext(lastError: 0)
    }

    /// How many addresses were given up on: each gets a socket of its own (possibly under the same number).
    var attempt: Int { index }

    /// The address being tried (the last one once all failed).
    var address: ResolvedAddress? {
        addresses.indices.contains(index) ? addresses[index] : addresses.last
    }

    /// Asks the socket without waiting.
    mutating func check() -> Progress {
        guard fd >= 0, let address else { return .failed(ConnectFailure(call: .connect, code: EBADF, address: address)) }
        // SO_ERROR is 0 both when connected and while still in progress: ask poll first.
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return .waiting }
        var soError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
        if soError == 0 { return .connected(fd: fd, address: address) }
        closeSocket()
        index += 1
        do {
            try startNext(lastError: soError)
            return .waiting
        } catch {
            return .failed(error)
        }
    }

    /// Closes the socket in progress, if any.
    mutating func close() {
        closeSocket()
    }

    private mutating func closeSocket() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    private mutating func startNext(lastError: Int32) throws(ConnectFailure) {
        var lastError = lastError
        while index < addresses.count {
            let address = addresses[index]
            fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { throw ConnectFailure(call: .socket, code: errno, address: address) }
            var storage = address.storage
            let rc = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
            }
            if rc == 0 || errno == EINPROGRESS { return }
            lastError = errno
            closeSocket()
            index += 1
        }
        throw ConnectFailure(call: .connect, code: lastError, address: address)
    }
}
