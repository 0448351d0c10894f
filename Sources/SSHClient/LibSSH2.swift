import CFileSync
import CLibssh2
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide libssh2 facts and small conveniences over its C API.
enum LibSSH2 {
    /// `libssh2_init` must run once, before any session exists, and is not thread-safe itself:
    /// a lazy global runs it exactly once whichever runner comes first.
    private static let initialized: Int32 = libssh2_init(0)

    static func ensureInitialized() {
        _ = initialized
    }

    /// `libssh2_session_last_error` as a Swift string (empty when there is none).
    static func lastErrorMessage(_ session: OpaquePointer) -> String {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        _ = libssh2_session_last_error(session, &message, &length, 0)
        guard let message, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: message, count: Int(length)), as: UTF8.self)
    }

    /// What libssh2 negotiated for a method type, or nil before the key exchange.
    static func method(_ session: OpaquePointer, _ type: Int32) -> String? {
        libssh2_session_methods(session, type).map { String(cString: $0) }
    }

    /// Every algorithm this libssh2 supports for a method type, in its default preference order.
    static func supportedAlgorithms(_ session: OpaquePointer, _ type: Int32) -> [String] {
        var algs: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        let count = libssh2_session_supported_algs(session, type, &algs)
        guard count > 0, let algs else { return [] }
        defer { libssh2_free(session, algs) }
        return (0..<Int(count)).compactMap { algs[$0].map { String(cString: $0) } }
    }

}

/// RLIMIT_NOFILE: one socket per open session, so hundreds of nodes need more than the usual soft 1024.
enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit once; returns the soft limit now in force.
    static let raised: Int = {
        let limit = cors_audit_raise_open_file_limit()
        return limit >= Int(Int.max) ? Int.max : Int(limit)
    }()
}
