/// A node's role in its VOS cluster as `show network cluster` prints it.
public enum ClusterRole: String, Sendable, Equatable, Codable {
    case publisher, subscriber
}

/// One node of the cluster, as one (possibly wrapped) line of `show network cluster` describes it.
public struct ClusterMember: Sendable, Equatable, Codable {
    /// The IP address printed first on the line.
    public var address: String
    /// The host name as printed (an FQDN on the documented lines), lower-cased.
    public var host: String
    /// The short name printed after the FQDN, when there is one.
    public var shortName: String?
    public var role: ClusterRole
    /// The word after the role (`callmanager`, `cups` in Cisco's samples); not known publicly for CUIC, Live Data
    /// or Finesse, so kept as printed and never judged.
    public var application: String?
    /// The whole record as printed (wrapped lines joined), for messages.
    public var line: String

    public init(address: String, host: String, shortName: String?, role: ClusterRole, application: String?, line: String) {
        self.address = address; self.host = host; self.shortName = shortName; self.role = role
        self.application = application; self.line = line
    }
}

/// What `show network cluster` reports: every member of the node's cluster, and the processnode table when printed.
public struct ClusterMembership: Sendable, Equatable, Codable {
    public var members: [ClusterMember]
    /// The `Server Table (processnode) Entries` block's lines (names or addresses), empty when not printed.
    public var processNodes: [String]
    /// A header row of a table form was seen (and skipped).
    public var headerRow: String?

    public init(members: [ClusterMember], processNodes: [String] = [], headerRow: String? = nil) {
        self.members = members; self.processNodes = processNodes; self.headerRow = headerRow
    }
}

/// Parser for `show network cluster`. Cisco's guides show one line per node (`IP FQDN shortname Publisher|Subscriber
/// application dbrole authenticated ...`), a long line possibly wrapped, and often a `Server Table (processnode)
/// Entries` block after them. Anything else is not guessed at: it is `unparsed`, never "no other nodes".
public enum ClusterMembershipParser {
    static let processNodeHeader = "server table (processnode) entries"

    public static func parse(_ output: String) -> ParseOutcome<ClusterMembership> {
        let text = CommandText(output)
        if let marker = FailureMarker.detect(in: text) { return .failed(marker) }
        if let reason = text.notOneCommand { return .unparsed(reason) }
        let lines = text.content.map { TextLines.trim($0) }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { return .unparsed("no output") }

        var records: [[String]] = []
        var processNodes: [String] = []
        var header: String?
        var inProcessNodes = false
        for line in lines {
            let tokens = words(line)
            if line.lowercased().hasPrefix(processNodeHeader) {
                if inProcessNodes { return .unparsed("two `Server Table (processnode) Entries` blocks") }
                inProcessNodes = true
                continue
            }
            if isSeparator(line) { continue }
            if inProcessNodes {
                // One name or address a line; a line of several words is a shape no public sample shows.
                guard tokens.count == 1 else { return .unparsed("a processnode entry of several words: \"\(line)\"") }
                processNodes.append(tokens[0])
                continue
            }
            if let first = tokens.first, isAddress(first) {
                records.append([line])
            } else if records.isEmpty {
                // Before any member: only a table's header row (no address, column names such as Role and Host) is skipped.
                guard header == nil, isHeaderRow(tokens) else { return .unparsed("a line that is no cluster member: \"\(line)\"") }
                header = line
            } else if tokens.contains(where: { role($0) != nil }) {
                // A member line that does not start with an address is no wrapped rest: never folded into the one above.
                return .unparsed("a member line that does not start with an address: \"\(line)\"")
            } else {
                // Not starting with an address: the wrapped rest of the line above.
                records[records.count - 1].append(line)
            }
        }
        guard !records.isEmpty else { return .unparsed("no member line (an address, a host name and Publisher or Subscriber)") }
        var members: [ClusterMember] = []
        for record in records {
            // A soft wrap breaks at a space; a hard wrap at the terminal's width may cut a word: try both joins.
            guard let member = member(record.joined(separator: " ")) ?? member(record.joined()) else {
                return .unparsed("a member line not understood: \"\(record.joined(separator: " "))\"")
            }
            if members.contains(where: { $0.host == member.host }) {
                return .unparsed("\(member.host) is listed twice")
            }
            members.append(member)
        }
        let publishers = members.filter { $0.role == .publisher }.count
        guard publishers <= 1 else { return .unparsed("\(publishers) publishers in one cluster") }
        return .parsed(ClusterMembership(members: members, processNodes: processNodes, headerRow: header))
    }

    /// `ADDRESS NAME [SHORTNAME] ROLE [APPLICATION ...]`.
    static func member(_ line: String) -> ClusterMember? {
        let tokens = words(line)
        guard tokens.count >= 3, isAddress(tokens[0]), isHostName(tokens[1]), !isAddress(tokens[1]) else { return nil }
        var i = 2
        var short: String?
        if role(tokens[i]) == nil {
            // The short name, when printed, is the FQDN's first label.
            let firstLabel = tokens[1].split(separator: ".").first.map(String.init) ?? tokens[1]
            guard tokens[i].lowercased() == firstLabel.lowercased() else { return nil }
            short = tokens[i].lowercased()
            i += 1
        }
        guard i < tokens.count, let role = role(tokens[i]) else { return nil }
        let application = i + 1 < tokens.count ? tokens[i + 1] : nil
        return ClusterMember(address: tokens[0], host: tokens[1].lowercased(), shortName: short, role: role,
                             application: application, line: tokens.joined(separator: " "))
    }

    static func role(_ word: String) -> ClusterRole? {
        switch word.lowercased() {
        case "publisher": .publisher
        case "subscriber": .subscriber
        default: nil
        }
    }

    static func words(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    static func isSeparator(_ line: String) -> Bool {
        line.allSatisfy { $0 == "-" || $0 == "=" || $0 == " " }
    }

    static func isHeaderRow(_ tokens: [String]) -> Bool {
        let lower = Set(tokens.map { $0.lowercased() })
        let roleWord = !lower.isDisjoint(with: ["role", "type"])
        let hostWord = !lower.isDisjoint(with: ["host", "hostname", "fqdn", "name", "ip", "address"])
        return roleWord && hostWord
    }

    /// An IPv4 dotted quad or an IPv6 address (hex groups and colons).
    public static func isAddress(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && p.allSatisfy(\.isNumber) && Int(p)! <= 255 }) {
            return true
        }
        return s.contains(":") && s.count >= 2 && s.allSatisfy { $0 == ":" || $0.isHexDigit }
    }

    /// Letters, digits, hyphens and dots, starting with a letter or digit.
    static func isHostName(_ s: String) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first.isNumber, s.count <= 253 else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") } && !s.hasSuffix(".")
    }
}
