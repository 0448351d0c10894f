import CLIParsers

/// The VOS services whose state decides whether CORS changes take effect.
public enum CORSServices {
    public static let cuicReporting = "Intelligence Center Reporting Service"
    public static let liveDataNginx = "Unified CCE Live Data NGINX Service"
    public static let webProxy = "Cisco Web Proxy Service"
    public static let finesseTomcat = "Cisco Finesse Tomcat"
    public static let finesseNotification = "Cisco Finesse Notification Service"
    /// Every service a plan may restart or start.
    public static let all = [cuicReporting, liveDataNginx, webProxy, finesseTomcat, finesseNotification]

    /// The services a change to `list` must restart, chosen from what the node runs (12.5/12.6: the Live
    /// Data NGINX service; 15.0: the Web Proxy), falling back to the version when the service list is unknown.
    public static func restart(for list: ListKind, services: ServiceList?, version: String?) -> [String] {
        switch list {
        case .cuic: return [cuicReporting]
        case .finesse: return [finesseTomcat, finesseNotification]
        case .liveData:
            if let services {
                if services.service(named: webProxy) != nil && services.service(named: liveDataNginx) == nil { return [webProxy] }
                if services.service(named: liveDataNginx) != nil { return [liveDataNginx] }
            }
            if let major = version?.split(separator: ".").first.flatMap({ Int($0) }), major >= 15 { return [webProxy] }
            return [liveDataNginx]
        }
    }

    /// The services that must be running for the lists this node holds to be served.
    public static func relevant(for node: InventoryNode, services: ServiceList?) -> [String] {
        node.lists.flatMap { list -> [String] in
            if list == .liveData {
                return [liveDataNginx, webProxy].filter { services?.service(named: $0) != nil }
            }
            return restart(for: list, services: services, version: nil)
        }
    }
}
