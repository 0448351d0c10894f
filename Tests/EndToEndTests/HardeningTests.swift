import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15 item 8: absurd time limits are usage errors, and a process holding secrets cannot dump core.
@Suite(.serialized) struct HardeningTests {
    @Test(arguments: ["inf", "nan", "1e300", "-1", "0", "86401"])
    func anAbsurdTimeoutIsAUsageErrorNeverATrap(_ value: String) throws {
        for command in [["audit", "--inventory", "inventory/lab.yaml", "--transcripts", "inventory/transcripts/lab"],
                        ["probe", "--inventory", "inventory/lab.yaml"]] {
            // `--timeout=-1`: as a separate word, `-1` would read as an option.
            let r = try run(command + ["--timeout=\(value)", "--output", try temporaryDirectory("cors-audit-timeout")])
            #expect(r.status == 64 && !r.signaled, "\(command[0]) --timeout \(value): exit \(r.status)\n\(r.stderr)")
            #expect(r.stderr.contains("--timeout must be a positive number of seconds, at most 86400"), "\(r.stderr)")
        }
    }

    @Test func anAbsurdInventoryTimeoutIsAUsageError() throws {
        let dir = try temporaryDirectory("cors-audit-timeout")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lab = try String(contentsOfFile: repoRoot + "/inventory/lab.yaml", encoding: .utf8)
        let file = dir + "/lab.yaml"
        try lab.replacingOccurrences(of: "timeouts: {connect: 10, login: 90, command: 60}", with: "timeouts: {connect: 10, login: 90, command: 1e300}")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try run(["audit", "--inventory", file, "--transcripts", "inventory/transcripts/lab", "--output", dir + "/out"])
        #expect(r.status == 64 && !r.signaled, "exit \(r.status)\n\(r.stderr)")
        #expect(r.stderr.contains("node cuicpub.uccelab.tac: timeouts.command 1e+300 is not a time limit of at most 86400 seconds"), "\(r.stderr)")
    }

    /// A listener that accepts connections and never speaks: the audit waits in the SSH handshake.
    static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        try #require(bound == 0 && listen(fd, 16) == 0)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// Run as an unprivileged user, a non-dumpable process's /proc/<pid> belongs to root (proc(5)): so the
    /// owner tells whether `PR_SET_DUMPABLE` is 0 while the audit holds the password.
    @Test func noCoreDumpsOnceSecretsAreLoaded() throws {
        let (fd, port) = try Self.silentListener()
        defer { close(fd) }
        let dir = try temporaryDirectory("cors-audit-dumpable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o777)
        let inventory = """
            version: 1
            defaults:
              username: admin
              password_env: VOS_PASSWORD
              known_hosts: \(dir)/known_hosts
              host_key_policy: strict
              port: \(port)
              timeouts: {connect: 8, login: 8, command: 8}
            clusters:
              - name: lab
                finesse:
                  - host: finesse.lab.test
                    address: 127.0.0.1
                cuic:
                  - host: cuic.lab.test
                    address: 127.0.0.1
                    role: publisher
            """
        try inventory.write(toFile: dir + "/inventory.yaml", atomically: true, encoding: .utf8)
        chmod(dir + "/inventory.yaml", 0o644)
        let child = try StartedProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", product("cors-audit"),
                                                           "audit", "--inventory", dir + "/inventory.yaml", "--no-history", "--output", dir + "/out"],
                                       environment: ["VOS_PASSWORD": "not-a-real-password", "HOME": dir])
        defer { if child.isRunning { kill(child.pid, SIGKILL) }; _ = try? child.finish(timeout: .seconds(30)) }
        // Waits for the event, not a time: setpriv has exec'd cors-audit and the process is no longer dumpable (its
        // /proc entry turns root's). Bounded; the node's 8 s handshake keeps it running meanwhile.
        let deadline = ContinuousClock.now + .seconds(10)
        var st = stat()
        while ContinuousClock.now < deadline, child.isRunning {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/exe")) ?? ""
            if exe.hasSuffix("/cors-audit"), stat("/proc/\(child.pid)/status", &st) == 0, st.st_uid == 0 { break }
            usleep(20_000)
        }
        try #require(child.isRunning, "cors-audit ended early: \(child.standardError())")
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/exe")
        #expect(exe.hasSuffix("/cors-audit"), "\(exe)")
        try #require(stat("/proc/\(child.pid)/status", &st) == 0)
        #expect(st.st_uid == 0, "/proc/<pid> owned by uid \(st.st_uid): the process is dumpable")
        var limits = try String(contentsOfFile: "/proc/\(child.pid)/limits", encoding: .utf8)
        limits = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? limits
        #expect(limits.contains(" 0 ") , "\(limits)")
    }
}
