import CLibssh2

/// known_hosts as read for one node before its handshake.
enum KnownHostsLookup {
    /// host_key_policy off: not read.
    case notRead
    /// The entries whose host field matches the node's name, in file order.
    case loaded([KnownHostsFile.Entry])
    /// The file could not be read; the text says why.
    case unreadable(String)

    var entries: [KnownHostsFile.Entry] {
        if case .loaded(let entries) = self { return entries }
        return []
    }
}

/// The host key: known_hosts read before the handshake, then the presented key checked.
extension Session {
    /// Reads known_hosts before the handshake: its key types decide which host key to ask for.
    func readKnownHosts(_ run: RunContext) -> KnownHostsLookup {
        guard target.hostKeyPolicy != .off else { return .notRead }
        let path = KnownHostsStore.resolvedPath(target.knownHostsPath)
        do {
            return .loaded(try run.knownHosts.entries(path, matching: target.knownHostsName))
        } catch {
            return .unreadable(error.message)
        }
    }

    /// OpenSSH's order (ed25519 first), with the types known_hosts holds for this node (hashed
    /// entries and patterns included) moved to the front, so a node with several host keys
    /// presents one we can verify.
    func preferHostKeyAlgorithms(_ session: OpaquePointer, knownHosts: KnownHostsLookup) {
        let supported = LibSSH2.supportedAlgorithms(session, CORS_LIBSSH2_METHOD_HOSTKEY)
        guard !supported.isEmpty else { return }
        let order = HostKeyVerdict.preferredAlgorithms(knownHosts.entries) + HostKeyVerdict.defaultOrder + supported
        var seen = Set<String>()
        let preference = order.filter { supported.contains($0) && seen.insert($0).inserted }
        _ = libssh2_session_method_pref(session, CORS_LIBSSH2_METHOD_HOSTKEY, preference.joined(separator: ","))
    }

    /// Checks the presented key as the policy says; on success authentication is next.
    func checkHostKey(_ login: Login, knownHosts: KnownHostsLookup, _ run: RunContext,
                      now: ContinuousClock.Instant) throws(SSHError) {
        guard let key = PresentedHostKey(session: login.transport.session) else {
            throw SSHError(host: target.host, phase: .hostKey, kind: .protocolError, function: "libssh2_session_hostkey",
                           message: "the server's host key could not be read")
        }
        info.hostKeyFingerprint = key.fingerprint
        info.hostKeyType = key.typeName
        let name = target.knownHostsName
        let line = key.knownHostsLine(name: name)
        let path = KnownHostsStore.resolvedPath(target.knownHostsPath)
        switch target.hostKeyPolicy {
        case .off:
            info.hostKeyNote = "host key NOT checked (host_key_policy: off); the server presented \(key.typeName) \(key.fingerprint)"
        case .strict, .acceptNew:
            let entries: [KnownHostsFile.Entry]
            switch knownHosts {
            case .loaded(let loaded):
                entries = loaded
            case .unreadable(let problem):
                throw SSHError(host: target.host, phase: .hostKey, kind: .io, message: problem)
            case .notRead:
                throw SSHError(host: target.host, phase: .hostKey, kind: .io, message: "known_hosts was not read")
            }
            switch HostKeyVerdict(entries: entries, keyType: key.typeName, key: key.blob) {
            case .match:
                break
            case .revoked(let lines):
                throw SSHError(host: target.host, phase: .hostKey, kind: .hostKeyRevoked(fingerprint: key.fingerprint),
                               message: "REVOKED HOST KEY: the server presented \(key.typeName) \(key.fingerprint), "
                                   + "marked @revoked for \(name) in \(path) (line \(lines.map(String.init).joined(separator: ", "))); never accepted")
            case .certAuthority(let lines):
                throw SSHError(host: target.host, phase: .hostKey, kind: .hostKeyCertificateAuthority(fingerprint: key.fingerprint),
                               message: "known_hosts vouches for \(name) only through @cert-authority (\(path) line "
                                   + "\(lines.map(String.init).joined(separator: ", "))); host certificates are not supported "
                                   + "(libssh2 has none), so the node is rejected and nothing is added; if the server's own key "
                                   + "\(key.typeName) \(key.fingerprint) is right, add: \(line)")
            case .changed(let detail):
                throw SSHError(host: target.host, phase: .hostKey,
                               kind: .hostKeyChanged(fingerprint: key.fingerprint, knownHostsLine: line),
                               message: "HOST KEY CHANGED: \(detail) for \(name) in \(path); the server presented \(key.fingerprint)")
            case .notFound where target.hostKeyPolicy == .strict:
                throw SSHError(host: target.host, phase: .hostKey,
                               kind: .hostKeyUnknown(fingerprint: key.fingerprint, knownHostsLine: line),
                               message: "no host key for \(name) in \(path); the server presented \(key.typeName) \(key.fingerprint)")
            case .notFound:
                do {
                    try run.knownHosts.append(line, to: path)
                } catch {
                    throw SSHError(host: target.host, phase: .hostKey, kind: .io, message: error.message)
                }
                info.hostKeyNote = "new host key added to known_hosts (accept-new): \(key.typeName) \(key.fingerprint) for \(name) in \(path)"
            }
        }
        mark("host-key", now)
        state = .authList(login)
    }
}
