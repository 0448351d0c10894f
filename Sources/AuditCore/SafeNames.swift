import Foundation

/// The names that become file names, paths and metric labels: checked once where they enter (the inventory, a report
/// read back), so no `/`, `..`, control character or space ever reaches a path built from them.
public enum SafeName {
    /// Cluster names: 1 to 64 ASCII letters, digits, `.`, `_` and `-`, starting with a letter or a digit.
    public static let clusterRule = "1 to 64 ASCII letters, digits, '.', '_' and '-', starting with a letter or a digit"

    public static func isClusterName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, s.unicodeScalars.count <= 64, isAlnum(first) else { return false }
        return s.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// A node's `host`: a DNS name (letters, digits, hyphens, dot-separated labels) or an IPv4 address.
    public static func isHostName(_ s: String) -> Bool { OriginAnalysis.isDNSName(s) || OriginAnalysis.isIPv4(s) }

    /// A node's `address`: a host name, an IPv4 address or an IPv6 address (no brackets; a zone after `%` allowed).
    public static func isAddress(_ s: String) -> Bool {
        if isHostName(s) { return true }
        guard s.contains(":") else { return false }
        let parts = s.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            let zone = parts[1]
            guard !zone.isEmpty, zone.unicodeScalars.allSatisfy({ isAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }) else { return false }
        }
        var address = in6_addr()
        return inet_pton(AF_INET6, String(parts[0]), &address) == 1
    }

    private static func isAlnum(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }
}
