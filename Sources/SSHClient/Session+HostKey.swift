import CLibssh2

/// known_hosts as read for one node before its handshake.
enum KnownHostsLookup {
    /// host_key_policy off: not read.
    case notRead
    case loaded(OpaquePointer)
    /// libssh2 could not set up a collection.
    case unavailable
    /// The file could not be read; the text says why.
    case unreadable(String)

    var collection: OpaquePointer? {
        if case .loaded(let hosts) = self { return hosts }
        return nil
    }

    /// Frees the libssh2 collection; the session it belongs to must still exist.
    func free() {
        if let collection { libssh2_knownhost_free(collection) }
    }
}

/// The host key: known_hosts read before the handshake, then the presented key checked.
extension Session {
    /// Reads known_hosts before the handshake: its key types decide which host key to ask for.
    func readKnownHosts(_ run: RunContext, session: OpaquePointer) -> KnownHostsLookup {
        guard target.hostKeyPolicy != .off else { return .notRead }
        let path = KnownHostsStore.resolvedPath(target.knownHostsPath)
        do {
            let entries = try run.knownHosts.entries(path)
            return KnownHostsStore.collection(session: session, entries: entries, name: target.knownHostsName)
                .map(KnownHostsLookup.loaded) ?? .unavailable
        } catch {
            return .unreadable(error.message)
        }
    }

    /// OpenSSH's order (ed25519 first), with the types known_hosts holds for this node moved to
    /// the front, so a node with several host keys presents one we can verify.
    func preferHostKeyAlgorithms(_ session: OpaquePointer, knownHosts: KnownHostsLookup) {
        let supported = LibSSH2.supportedAlgorithms(session, CORS_LIBSSH2_METHOD_HOSTKEY)
        guard !supported.isEmpty else { return }
        var order: [String] = []
        if let hosts = knownHosts.collection {
            order += KnownHostsStore.knownAlgorithms(hosts: hosts, name: target.knownHostsName)
        }
        order += ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss"]
        order += supported
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
            let hosts: OpaquePointer
            switch knownHosts {
            case .loaded(let loaded):
                hosts = loaded
            case .unreadable(let problem):
                throw SSHError(host: target.host, phase: .hostKey, kind: .io, message: problem)
            case .notRead, .unavailable:
                throw SSHError(host: target.host, phase: .hostKey, kind: .io, function: "libssh2_knownhost_init",
                               message: "libssh2 could not set up known hosts")
            }
            switch KnownHostsStore.check(hosts: hosts, name: name, key: key) {
            case .match:
                break
            case .mismatch(let detail):
                throw SSHError(host: target.host, phase: .hostKey,
                               kind: .hostKeyChanged(fingerprint: key.fingerprint, knownHostsLine: line),
                               function: "libssh2_knownhost_checkp",
                               message: "HOST KEY CHANGED: \(detail) in \(path); the server presented \(key.fingerprint)")
            case .notFound where target.hostKeyPolicy == .strict:
                throw SSHError(host: target.host, phase: .hostKey,
                               kind: .hostKeyUnknown(fingerprint: key.fingerprint, knownHostsLine: line),
                               function: "libssh2_knownhost_checkp",
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
