import AuditCore

/// Default services per product, shaped like `utils service list` on real nodes.
///
/// The names that matter to the audit (the restart targets of domain.md) are exact; the rest are
/// plausible platform services so that the list is long enough to page, as on a real node.
public enum ServiceCatalog {
    public static let cuicReporting = "Intelligence Center Reporting Service"
    public static let liveDataNginx = "Unified CCE Live Data NGINX Service"
    public static let webProxy = "Cisco Web Proxy Service"
    public static let finesseTomcat = "Cisco Finesse Tomcat"
    public static let finesseNotification = "Cisco Finesse Notification Service"

    private static let platform: [ServiceEntry] = [
        .init(name: "System NTP", state: .started, spaced: true),
        .init(name: "System SSH", state: .started, spaced: true),
        .init(name: "A Cisco DB", state: .started),
        .init(name: "A Cisco DB Replicator", state: .started),
        .init(name: "Cisco CallManager Serviceability", state: .started),
        .init(name: "Cisco CDP", state: .started),
        .init(name: "Cisco CDP Agent", state: .started),
        .init(name: "Cisco Certificate Expiry Monitor", state: .started),
        .init(name: "Cisco DRF Local", state: .started),
        .init(name: "Cisco DRF Master", state: .started),
        .init(name: "Cisco Database Layer Monitor", state: .started),
        .init(name: "Cisco Log Partition Monitoring Tool", state: .started),
        .init(name: "Cisco RIS Data Collector", state: .started),
        .init(name: "Cisco Syslog Agent", state: .started),
        .init(name: "Cisco Tomcat", state: .started),
        .init(name: "Cisco Tomcat Stats Servlet", state: .started),
        .init(name: "Cisco Trace Collection Service", state: .started),
        .init(name: "Host Resources Agent", state: .started),
        .init(name: "MIB2 Agent", state: .started),
        .init(name: "Platform Administrative Web Service", state: .started),
        .init(name: "SNMP Master Agent", state: .started),
        .init(name: "Cisco HCS Admin UI", state: .stopped),
        .init(name: "Name Service Cache", state: .notActivated, spaced: true),
    ]

    private static func liveData(version: String) -> [ServiceEntry] {
        let v15 = version.hasPrefix("15")
        return [
            .init(name: "CCE Live Data ActiveMQ Service", state: .started),
            .init(name: "CCE Live Data Cassandra Service", state: .started),
            .init(name: "CCE Live Data Event Store Service", state: .started),
            .init(name: "CCE Live Data Socket.IO Service", state: .started),
            .init(name: "CCE Live Data Storm DRPC Service", state: .started),
            .init(name: "CCE Live Data Storm Nimbus Service", state: .started),
            .init(name: "CCE Live Data Storm Supervisor Service", state: .started),
            .init(name: "CCE Live Data Web Service", state: .started),
            .init(name: "CCE Live Data Zookeeper Service", state: .started),
            .init(name: v15 ? webProxy : liveDataNginx, state: .started),
        ]
    }

    /// The services of a node of `product` at `version`.
    public static func defaults(product: Product, version: String, liveData: Bool) -> [ServiceEntry] {
        switch product {
        case .cuic:
            let own: [ServiceEntry] = [
                .init(name: cuicReporting, state: .started),
                .init(name: "Intelligence Center Serviceability Service", state: .started),
                .init(name: "Intelligence Center Perfmon Service", state: .started),
            ]
            return platform + own + (liveData ? Self.liveData(version: version) : [])
        case .livedata:
            return platform + Self.liveData(version: version)
        case .finesse:
            return platform + [
                .init(name: finesseTomcat, state: .started),
                .init(name: finesseNotification, state: .started),
                .init(name: "Cisco Finesse Kerberos Service", state: .notActivated),
            ]
        }
    }
}
