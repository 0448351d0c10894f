import AuditCore

/// Settings beside the CORS lists: Finesse's gadget source check (S9, S10), CUIC's private network access (S2,
/// 12.6(2)) and each family's header lists. The commands are documented; their output texts are not, so the texts
/// below are this simulator's assumptions (README.md, docs/releases.md), written independently of the client's parsers.
public struct NodeSettings: Sendable, Equatable {
    /// `utils finesse gadget_source_check`: disabled by default (S9).
    public var gadgetSourceCheck = false
    public var gadgetSources: [String] = []
    /// `utils cuic cors private-network-access` (a release that has it); its default is not documented: off here.
    public var privateNetworkAccess = false

    public init(gadgetSourceCheck: Bool = false, gadgetSources: [String] = [], privateNetworkAccess: Bool = false) {
        self.gadgetSourceCheck = gadgetSourceCheck
        self.gadgetSources = gadgetSources
        self.privateNetworkAccess = privateNetworkAccess
    }
}

extension VOSCLI {
    /// The steps for a settings command (after the command delay), or nil when `w` is not one.
    mutating func settingCommand(_ w: [String], words: [String]) -> [CLIStep]? {
        if w.count >= 3, w[1] == "finesse", w[2] == "gadget_source_check" {
            guard def.product == .finesse else { return output([Self.failed]) }
            return gadgetSourceCommand(w, words: words)
        }
        if w.count == 5, w[1] == "cuic", w[2] == "cors", w[3] == "private-network-access" {
            // Only a release whose profile has the command answers it; 12.5 does not know it.
            guard def.lists[.cuic] != nil, ReleaseProfiles[ReleaseFamily(version: def.version)].privateNetworkAccess != nil else {
                return output(["Invalid command: private-network-access", Self.failed])
            }
            switch w[4] {
            case "status":
                return output(["Private network access is \(node.settings.privateNetworkAccess ? "enabled" : "disabled")"])
            case "enable", "disable":
                let on = w[4] == "enable"
                node.updateSettings { $0.privateNetworkAccess = on }
                return output(["Private network access is \(on ? "enabled" : "disabled") now.",
                               "Run the command on all nodes, then restart \(ServiceCatalog.cuicReporting)."])
            default:
                return output([Self.failed])
            }
        }
        if w.count == 5, w[2] == "cors", w[4] == "list", let kind = ListKind(rawValue: w[1]),
           let headers = HeaderListKind(rawValue: w[3]) {
            guard let list = node.configuredList(kind) else { return output([Self.failed]) }
            let entries = headers == .allowed ? list.allowedHeaders : list.exposedHeaders
            if kind == .finesse {
                let noun = headers == .allowed ? "allowed headers" : "exposed headers"
                if entries.isEmpty { return output(["Currently no headers are configured in \(noun)."]) }
                return output(["The following header(s) are configured in \(noun):"]
                              + entries.enumerated().map { "\($0.offset + 1): \($0.element)" })
            }
            let title = headers == .allowed ? "cors_allowedheaders" : "cors_exposedheaders"
            return output(["", title + " ", "=========================== "] + entries.enumerated().map { "\($0.offset + 1). \($0.element) " } + [" "])
        }
        return nil
    }

    private mutating func gadgetSourceCommand(_ w: [String], words: [String]) -> [CLIStep] {
        let restart = "Restart \(ServiceCatalog.finesseTomcat) for the change to take effect."
        switch (w.count, w.count > 3 ? w[3] : "") {
        case (4, "status"):
            return output(["Gadget source allowed list status: \(node.settings.gadgetSourceCheck ? "enabled" : "disabled")"])
        case (4, "enable"), (4, "disable"):
            let on = w[3] == "enable"
            node.updateSettings { $0.gadgetSourceCheck = on }
            return output(["Gadget source allowed list is \(on ? "enabled" : "disabled").", restart])
        case (5, "allowed_list") where w[4] == "list":
            let sources = node.settings.gadgetSources
            if sources.isEmpty { return output(["No sources are configured in the allowed list."]) }
            return output(["The following source(s) are configured in the allowed list:"]
                          + sources.enumerated().map { "\($0.offset + 1): \($0.element)" })
        case (6, "allowed_list") where w[4] == "add":
            let url = words[5]
            guard OriginSyntax.isValid(url) else { return output(["Invalid source '\(url)'.", Self.failed]) }
            if node.settings.gadgetSources.contains(url) { return output(["Source \(url) is already in the allowed list."]) }
            node.updateSettings { $0.gadgetSources.append(url) }
            return output(["Source(s) successfully added.", restart])
        default:
            return output([Self.failed])
        }
    }
}
