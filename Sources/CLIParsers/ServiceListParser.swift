/// A service's state as `utils service list` shows it in brackets.
public enum ServiceState: String, Sendable, Equatable, Codable {
    /// `[STARTED]`.
    case started = "STARTED"
    /// `[STOPPED]`.
    case stopped = "STOPPED"
    /// Anything else, e.g. `[STARTING]`; `rawState` has the text.
    case other = "OTHER"
}

/// One service line of `utils service list`.
public struct ServiceStatus: Sendable, Equatable, Codable {
    /// The service name, e.g. "Cisco Tomcat".
    public var name: String
    /// The bracketed state, classified.
    public var state: ServiceState
    /// The text inside the brackets, trimmed, as printed: "STARTED", "STOPPED", "STARTING".
    public var rawState: String
    /// The text after the brackets, trimmed: "Component is not running", "Service Not Activated", or "".
    public var tail: String
    /// The tail says "Service Not Activated": not running by design, not a stopped service.
    public var notActivated: Bool

    /// Creates a service status from its parts.
    public init(name: String, state: ServiceState, rawState: String, tail: String, notActivated: Bool) {
        self.name = name
        self.state = state
        self.rawState = rawState
        self.tail = tail
        self.notActivated = notActivated
    }
}

/// The services `utils service list` printed.
public struct ServiceList: Sendable, Equatable, Codable {
    /// Service lines in printed order.
    public var services: [ServiceStatus]
    /// Every other non-blank line (headers such as "Service Manager is running", the trailer, banner), kept so nothing is lost.
    public var ignoredLines: [String]

    /// Creates a service list from its parts.
    public init(services: [ServiceStatus], ignoredLines: [String] = []) {
        self.services = services
        self.ignoredLines = ignoredLines
    }
}

extension ServiceList {
    /// The named service's status (case-insensitive exact name match), if listed.
    public func service(named name: String) -> ServiceStatus? {
        let wanted = name.lowercased()
        return services.first { $0.name.lowercased() == wanted }
    }
}

/// Parser for `utils service list`.
public enum ServiceListParser {
    /// `utils service list`: lines like `Cisco Tomcat[STARTED]`, `System SSH [STARTED]`, `Cisco HCS Admin UI[ STOPPED ] Component is not running`, `Name Service Cache [STOPPED] Service Not Activated`, among header lines and a trailer.
    public static func parse(_ output: String) -> ParseOutcome<ServiceList> {
        let text = CommandText(output)
        if let marker = FailureMarker.detect(in: text) { return .failed(marker) }
        if let reason = text.notOneCommand { return .unparsed(reason) }
        var list = ServiceList(services: [], ignoredLines: text.preamble)
        for line in text.content {
            if let service = service(line) { list.services.append(service) } else { list.ignoredLines.append(line) }
        }
        if list.services.isEmpty {
            return .unparsed(text.content.isEmpty ? "no output" : "no `Name[STATE]` service lines")
        }
        return .parsed(list)
    }

    /// `Name[STATE] tail`, `Name [ STATE ] tail`.
    static func service(_ line: String) -> ServiceStatus? {
        let open: String.Index, close: String.Index
        if line.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII (lines hold no CR LF pair): each byte is a Character, and the bytes find the same brackets faster.
            guard let o = line.utf8.firstIndex(of: UInt8(ascii: "[")),
                  let c = line.utf8[o...].firstIndex(of: UInt8(ascii: "]")) else { return nil }
            (open, close) = (o, c)
        } else {
            guard let o = line.firstIndex(of: "["), let c = line[o...].firstIndex(of: "]") else { return nil }
            (open, close) = (o, c)
        }
        let name = TextLines.trim(line[..<open])
        let raw = TextLines.trim(line[line.index(after: open)..<close])
        // A state is a word or two in capitals or letters (`STARTED`, `STOPPED`, `STARTING`); anything
        // else in brackets (`[1/3]`, `[INFO]` with no name) is not a service line.
        guard !name.isEmpty, !raw.isEmpty,
              raw.allSatisfy({ ($0.isASCII && $0.isLetter) || $0 == " " || $0 == "_" || $0 == "-" })
        else { return nil }
        let state: ServiceState
        switch raw.uppercased() {
        case "STARTED": state = .started
        case "STOPPED": state = .stopped
        default: state = .other
        }
        let tail = TextLines.trim(line[line.index(after: close)...])
        return ServiceStatus(name: name, state: state, rawState: raw, tail: tail,
                             notActivated: containsASCIICaseInsensitive(tail, "service not activated"))
    }
}
