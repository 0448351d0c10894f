import CLIParsers

/// The VOS services whose state decides whether CORS changes take effect, chosen by the release profile.
public enum CORSServices {
    /// What a change to `list` needs restarted on a node of `family` whose service list is `services` (nil: not read).
    public static func restart(for list: ListKind, services: ServiceList?, family: ReleaseFamily) -> RestartNeed {
        ReleaseProfiles[family].restart(for: list, services: services)
    }

    /// The services, as the node lists them, that must be running for the lists this node holds to be served.
    public static func relevant(for node: InventoryNode, services: ServiceList?, family: ReleaseFamily) -> [String] {
        guard let services else { return [] }
        let rules = node.lists.flatMap { ReleaseProfiles[family].restarts[$0] ?? [] }.flatMap { $0 }
        var names: [String] = []
        for service in services.services where rules.contains(where: { $0.matches(service.name) }) && !names.contains(service.name) {
            names.append(service.name)
        }
        return names
    }

    /// A service name a runbook may restart or start: one some release profile's rule matches.
    public static func isKnown(_ name: String) -> Bool {
        ReleaseProfiles.allRestartRules.contains { $0.matches(name) }
    }
}
