import Foundation

/// Reads a file the operator names (a password file, a transcript, a report, the inventory) only when it is a regular
/// file of bounded size: a FIFO, a device or `/dev/zero` would otherwise block the run or fill the memory.
public enum BoundedFile {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Caps: a password is one short line; a transcript holds a node's whole session (each command's output is capped at
    /// 4 MiB when collected); a report grows with the fleet.
    public static let secretLimit = 64 << 10
    public static let transcriptLimit = 64 << 20
    public static let reportLimit = 256 << 20
    public static let inventoryLimit = 16 << 20

    /// The file's bytes. The file is opened without blocking (a FIFO with no writer never stalls the open), then must
    /// be a regular file of at most `limit` bytes; `what` names it in every error ("password_file /etc/x").
    public static func read(_ path: String, limit: Int, what: String) throws(Problem) -> Data {
        let fd = try open(path, limit: limit, what: what)
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Problem(description: "\(what) cannot be read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            // The file may grow while it is read.
            guard data.count + n <= limit else { throw Problem(description: "\(what) grew past the \(limit)-byte limit while it was read") }
            data.append(contentsOf: buffer[0..<n])
        }
        return data
    }

    /// Checks that `path` is a readable regular file of at most `limit` bytes, for a file another library opens (a
    /// private key libssh2 reads).
    public static func check(_ path: String, limit: Int, what: String) throws(Problem) {
        close(try open(path, limit: limit, what: what))
    }

    private static func open(_ path: String, limit: Int, what: String) throws(Problem) -> Int32 {
        let fd = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw Problem(description: "\(what) cannot be read: \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw Problem(description: "\(what) cannot be read: \(String(cString: strerror(code)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw Problem(description: "\(what) is not a regular file (\(kind(info.st_mode))); name the file itself")
        }
        guard info.st_size <= limit else {
            close(fd)
            throw Problem(description: "\(what) is \(info.st_size) bytes, more than the \(limit)-byte limit for it")
        }
        return fd
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}
