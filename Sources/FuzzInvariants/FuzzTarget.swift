/// The entry points the fuzzers drive, and the invariants each checks on one input.
///
/// A fuzzer (Fuzz/) calls ``FuzzTarget/run(_:)``, which traps on a broken invariant so libFuzzer
/// keeps the input; the corpus replay tests call ``FuzzTarget/check(_:)``, which throws instead.
/// A crash inside the code under test traps in both.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case splitter
    case originListNumbered = "origin-list-numbered"
    case originListFinesse = "origin-list-finesse"
    case corsStatus = "cors-status"
    case version
    case serviceList = "service-list"
    case failureMarker = "failure-marker"
    case vosConversation = "vos-conversation"
    case applyConversation = "apply-conversation"
    case inventory

    /// Checks every invariant of this entry point on one input; throws the first one broken.
    public func check(_ input: [UInt8]) throws {
        switch self {
        case .splitter: try TextChecks.splitter(input)
        case .originListNumbered: try TextChecks.originList(input, finesse: false)
        case .originListFinesse: try TextChecks.originList(input, finesse: true)
        case .corsStatus: try TextChecks.corsStatus(input)
        case .version: try TextChecks.version(input)
        case .serviceList: try TextChecks.serviceList(input)
        case .failureMarker: try TextChecks.failureMarker(input)
        case .vosConversation: try ConversationChecks.vos(input)
        case .applyConversation: try ConversationChecks.apply(input)
        case .inventory: try InventoryChecks.inventory(input)
        }
    }

    /// For a fuzzer: ``check(_:)``, trapping on a broken invariant.
    public func run(_ input: [UInt8]) {
        do {
            try check(input)
        } catch {
            fatalError("\(rawValue): invariant broken: \(error)")
        }
    }
}

/// A broken invariant, with what was seen.
public struct InvariantViolation: Error, CustomStringConvertible {
    public var description: String
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw InvariantViolation(description: message()) }
}

/// Fuzz inputs are bytes; the text entry points take what a pasted or received file decodes to.
func text(_ input: [UInt8]) -> String {
    String(decoding: input, as: UTF8.self)
}
