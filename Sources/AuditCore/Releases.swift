import CLIParsers

/// A VOS release family of UCCE/PCCE, CUIC, Live Data and Finesse. What varies between them is data in
/// ``ReleaseProfile``; every value there names its public source (docs/releases.md lists them) or says it is assumed.
public enum ReleaseFamily: String, Sendable, Codable, CaseIterable, Comparable {
    case r12_5 = "12.5"
    case r12_6 = "12.6"
    case r15_0 = "15.0"
    /// No version read, none in the inventory or the history: every candidate is considered.
    case unknown

    public static func < (a: ReleaseFamily, b: ReleaseFamily) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// From `show version active` (`12.6.2.10000-19`) or an inventory `release:` (`12.5`, `12.5(1)`, `15.0`).
    /// A release this table does not describe is `unknown`, never the nearest one.
    public init(version: String) {
        let digits = version.split(whereSeparator: { !$0.isNumber }).prefix(2).map(String.init)
        switch digits {
        case ["12", "5"]: self = .r12_5
        case ["12", "6"]: self = .r12_6
        case ["15", "0"]: self = .r15_0
        default: self = .unknown
        }
    }
}

/// Where a value of the table comes from: a public source (docs/releases.md, S-numbers) or an assumption.
public enum FactSource: Sendable, Equatable {
    case documented(String)
    case assumed(String)

    public var isAssumed: Bool { if case .assumed = self { true } else { false } }
}

/// A URL a Finesse gadget's browser calls for one list.
public struct WebEndpoint: Sendable, Equatable, Hashable {
    public var port: Int
    public var path: String
    public init(port: Int, path: String) { self.port = port; self.path = path }
}

/// Which service makes a list's change effective, recognised in `utils service list` by a matcher.
public struct RestartRule: Sendable, Equatable {
    /// The name a runbook gives when the node's service list was not read.
    public var documentedName: String
    /// Lower-cased suffixes a listed service name may end with (the documents name some services several ways).
    public var suffixes: [String]
    public var source: FactSource
    /// The documents agree on the exact name, so a runbook may give it without the node's service list.
    public var nameSettled = true

    public func matches(_ serviceName: String) -> Bool {
        let name = serviceName.lowercased()
        return suffixes.contains { name == $0 || name.hasSuffix(" " + $0) }
    }
}

/// How a node's interactive delete menu prints its entries and the selection prompt.
public struct DeleteMenuShape: Sendable, Equatable {
    /// `.` for `1. origin`, `:` for `1: origin`.
    public var entrySeparator: Character
    /// `Select the index of origin to be deleted` or `... of origin(s) ...`.
    public var prompt: String
    public var source: FactSource
}

/// What one release family serves and needs, per list.
public struct ReleaseProfile: Sendable {
    public var family: ReleaseFamily
    public var endpoints: [ListKind: (endpoints: [WebEndpoint], source: FactSource)]
    /// Alternatives in order: the first rule some listed service matches is the one to restart; a list with two
    /// entries per alternative (Finesse) restarts both.
    public var restarts: [ListKind: [[RestartRule]]]
    public var deleteMenus: [ListKind: DeleteMenuShape]
    /// `utils cuic cors private-network-access` exists.
    public var privateNetworkAccess: FactSource?

    public func endpoints(for list: ListKind) -> [WebEndpoint] { endpoints[list]?.endpoints ?? [] }
}

public enum ReleaseProfiles {
    public static let cuicPath = "/cuic/"
    /// Live Data's web path is not known from a capture: the list decides whatever the path (docs/releases.md).
    public static let liveDataPath = "/livedata/"

    static let cuicReporting = RestartRule(
        documentedName: "Intelligence Center Reporting Service", suffixes: ["intelligence center reporting service"],
        source: .documented("S2 (12.6(2)), S3 (12.6(1)), S4"))
    static let liveDataNGINX = RestartRule(
        documentedName: "Unified CCE Live Data NGINX Service", suffixes: ["live data nginx service"],
        source: .documented("S5, S6, S8 (12.5(1)): named three ways, so matched by its suffix"), nameSettled: false)
    static let webProxy = RestartRule(
        documentedName: "Cisco Web Proxy Service", suffixes: ["cisco web proxy service"],
        source: .documented("S7 (15.0(1))"))
    static let finesseTomcat = RestartRule(
        documentedName: "Cisco Finesse Tomcat", suffixes: ["cisco finesse tomcat"], source: .documented("S9, S10, S20"))
    static let finesseNotification = RestartRule(
        documentedName: "Cisco Finesse Notification Service", suffixes: ["cisco finesse notification service"],
        source: .documented("S9, S10, S20"))

    static let dotMenu = DeleteMenuShape(entrySeparator: ".", prompt: "Select the index of origin to be deleted",
                                         source: .documented("S2 (CUIC), S6, S7 (Live Data): `1. origin`, prompt shown without a trailing colon"))
    static let finesseMenu = DeleteMenuShape(entrySeparator: ":", prompt: "Select the index of origin(s) to be deleted",
                                             source: .documented("S9, S10: `1: origin`, \"origin(s)\""))

    static func profile(_ family: ReleaseFamily) -> ReleaseProfile {
        let finesse: [[RestartRule]] = [[finesseTomcat, finesseNotification]]
        let menus: [ListKind: DeleteMenuShape] = [.cuic: dotMenu, .liveData: dotMenu, .finesse: finesseMenu]
        let cuic8444 = WebEndpoint(port: 8444, path: cuicPath), cuic443 = WebEndpoint(port: 443, path: cuicPath)
        let ld443 = WebEndpoint(port: 443, path: liveDataPath), ld12005 = WebEndpoint(port: 12005, path: liveDataPath)
        switch family {
        case .r12_5:
            return ReleaseProfile(
                family: family,
                endpoints: [.cuic: ([cuic8444], .documented("S12: CUIC on 8444 only; S8b: 443 serves the OAMP UI (/oampui)")),
                            .liveData: ([ld12005], .documented("S12: Live Data web service 12005 (12008 Socket.IO)"))],
                restarts: [.cuic: [[cuicReporting]], .liveData: [[liveDataNGINX]], .finesse: finesse],
                deleteMenus: menus, privateNetworkAccess: nil)
        case .r12_6:
            return ReleaseProfile(
                family: family,
                endpoints: [.cuic: ([cuic8444, cuic443], .documented("S13: CUIC on 8444 and 443")),
                            .liveData: ([ld443], .documented("S13: Live Data on 443, 12005/12008 deprecated"))],
                // No 12.6 Live Data CORS text: the NGINX service where the node lists one, else the Web Proxy (S16, S13).
                restarts: [.cuic: [[cuicReporting]], .liveData: [[liveDataNGINX], [webProxy]], .finesse: finesse],
                deleteMenus: menus, privateNetworkAccess: .documented("S2 (12.6(2))"))
        case .r15_0:
            return ReleaseProfile(
                family: family,
                endpoints: [.cuic: ([cuic8444, cuic443], .assumed("no 15.0 port guide found: as 12.6")),
                            .liveData: ([ld443], .documented("S13 (12.6(2)) and later: 443"))],
                restarts: [.cuic: [[cuicReporting]], .liveData: [[webProxy]], .finesse: finesse],
                deleteMenus: menus, privateNetworkAccess: .assumed("as 12.6(2)"))
        case .unknown:
            return ReleaseProfile(
                family: family,
                endpoints: [.cuic: ([cuic8444, cuic443], .assumed("every candidate: a release is not known")),
                            .liveData: ([ld443, ld12005], .assumed("every candidate: a release is not known"))],
                restarts: [.cuic: [[cuicReporting]], .liveData: [[liveDataNGINX], [webProxy]], .finesse: finesse],
                deleteMenus: menus, privateNetworkAccess: nil)
        }
    }

    /// Built once: the audit asks for a profile per node and list.
    static let table = Dictionary(uniqueKeysWithValues: ReleaseFamily.allCases.map { ($0, profile($0)) })

    public static subscript(_ family: ReleaseFamily) -> ReleaseProfile { table[family]! }

    /// Every rule any profile names: what a report read back may restart.
    public static var allRestartRules: [RestartRule] {
        [cuicReporting, liveDataNGINX, webProxy, finesseTomcat, finesseNotification]
    }
}

/// What a list's change needs restarted on one node.
public enum RestartNeed: Sendable, Equatable {
    /// These services, named exactly as the node's `utils service list` shows them (or as documented when the
    /// release is known and the service list was not read).
    case services([String])
    /// Not settled: the runbook says which service to look for, and no restart is typed.
    case lookFor(String)
}

extension ReleaseProfile {
    /// The restart a change to `list` needs: matched in the node's service list when it was read; else, for a known
    /// release with one documented alternative, its documented name; else what to look for.
    public func restart(for list: ListKind, services: ServiceList?) -> RestartNeed {
        let alternatives = restarts[list] ?? []
        let wanted = alternatives.map { $0.map(\.documentedName).joined(separator: " and ") }.joined(separator: " or ")
        if let services {
            for rules in alternatives {
                let names = rules.compactMap { rule in services.services.first { rule.matches($0.name) }?.name }
                if names.count == rules.count { return .services(names) }
            }
            return .lookFor("no service in `utils service list` matches \(wanted): restart by hand the service that serves the \(list.displayName) list")
        }
        // Not read: the documented name only where the documents settle it, for this release or (unknown) for every one.
        let agreed = family != .unknown || ReleaseFamily.allCases.allSatisfy { ReleaseProfiles[$0].restarts[list] ?? [] == alternatives }
        if agreed, alternatives.count == 1, alternatives[0].allSatisfy(\.nameSettled) {
            return .services(alternatives[0].map(\.documentedName))
        }
        return .lookFor("restart the service that `utils service list` shows for the \(list.displayName) list (\(wanted)); the service list was not read")
    }
}

/// What `allowed_origin add` prints for an origin the list already holds. No public text shows it (docs/releases.md,
/// "Texts no public capture shows"): **assumed**, so the match is tolerant — a line saying "already" with
/// configured/exists/present/added/in the list, naming the origin as a whole word (or, for a one-origin add, naming none).
public enum AddAnswer {
    public static let alreadySource = FactSource.assumed("no public capture of `allowed_origin add` for an origin already in the list")
    static let alreadyWords = ["configured", "exist", "present", "added", "in the list", "allowed"]

    /// The origins of `origins` the node's answer to their `add` says were already in the list (so nothing changed for them).
    public static func alreadyPresent(_ origins: [String], output: String) -> [String] {
        var found: Set<String> = []
        for raw in output.split(whereSeparator: \.isNewline) {
            let line = raw.lowercased()
            guard line.contains("already"), alreadyWords.contains(where: { line.contains($0) }) else { continue }
            // Whole words only: `https://a` must not match a line naming `https://a:8445`.
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map { word -> String in
                var w = Substring(word)
                while let f = w.first, "'\"`(<[".contains(f) { w = w.dropFirst() }
                while let l = w.last, "'\"`)>].;:!?/".contains(l) { w = w.dropLast() }
                return String(w)
            }
            let named = origins.filter { origin in
                var o = Substring(origin.lowercased())
                while o.last == "/" { o = o.dropLast() }
                return words.contains(String(o))
            }
            if named.isEmpty, origins.count == 1, !words.contains(where: { $0.contains("://") }) { found.insert(origins[0]) }
            found.formUnion(named)
        }
        return origins.filter { found.contains($0) }
    }
}

/// What restarting a service a runbook names interrupts, for the runbook's service-impact note. Each entry names its
/// source (docs/releases.md) or is assumed.
public enum ServiceImpact {
    public struct Impact: Sendable, Equatable {
        public var text: String
        public var source: FactSource
    }

    public static func impact(of service: String) -> Impact? {
        let name = service.lowercased()
        if ReleaseProfiles.cuicReporting.matches(service) {
            return Impact(text: "the node's reports stop while the service restarts: people viewing reports or gadgets from this CUIC node lose them and must reload",
                          source: .assumed("no Cisco text states the impact of this restart"))
        }
        if ReleaseProfiles.liveDataNGINX.matches(service) || ReleaseProfiles.webProxy.matches(service) {
            return Impact(text: "Live Data gadgets served through this node stop updating while the service restarts",
                          source: .assumed("no Cisco text states the impact of this restart"))
        }
        if ReleaseProfiles.finesseTomcat.matches(service) || name.hasSuffix("finesse notification service") {
            return Impact(text: "agents whose desktop is connected to this Finesse node lose the connection: their desktops fail over to the other node of the pair, and whether they are signed out depends on Logout on Agent Disconnect (LOAD) in Unified CCE",
                          source: .documented("S22"))
        }
        return nil
    }
}
