import AuditCore
import CLIParsers
import VOSShell

/// Whether a node's apply record shows its change took: what gates the next node of its cluster.
///
/// Read from the verification steps the session typed after the changes: each changed list's
/// `allowed_origin list` must hold every added origin and each deleted one as many times fewer as it was
/// deleted (counted in the menu the first delete printed); an enabled list's `status` must say enabled; and
/// `utils service list` must show every restarted service STARTED. A change without its verification step
/// is not verified (fail closed).
enum ApplyVerification {
    /// The first step that does not show the change, and why; nil when every change shows.
    static func problem(in steps: [NodeApplyRecord.Step]) -> (index: Int, why: String)? {
        // An add the node answered "already configured" is still checked: the list must show the origin.
        let applied = steps.indices.filter { steps[$0].status == .applied || steps[$0].status == .unchanged }
        for i in applied {
            let before = applied.filter { $0 < i }.map { steps[$0] }
            let output = steps[i].output ?? ""
            let line = steps[i].step.commandLine ?? ""
            switch steps[i].step {
            case .verifyList(let list):
                let parsed = list == .finesse ? OriginListParser.parseFinesse(output) : OriginListParser.parseNumbered(output)
                guard let shown = parsed.value?.origins else { return (i, "`\(line)` printed a list that cannot be read (\(reason(parsed)))") }
                for case .add(list, let origins) in before.map(\.step) {
                    for origin in origins where OriginAnalysis.isSafeForCommandLine(origin) && !shown.contains(origin) {
                        return (i, "`\(line)` does not show \(Escaping.visible(origin)), which was added")
                    }
                }
                let deletes = before.filter { if case .delete(list, _, _) = $0.step { true } else { false } }
                guard let menu = deletes.first.map({ ApplyConversation.menuEntries($0.output ?? "").map(\.origin) }) else { continue }
                var deleted: [String: Int] = [:]
                for case .delete(_, _, let origin) in deletes.map(\.step) { deleted[origin, default: 0] += 1 }
                for (origin, times) in deleted.sorted(by: { $0.key < $1.key }) {
                    let expected = menu.filter { $0 == origin }.count - times
                    let count = shown.filter { $0 == origin }.count
                    if count != expected {
                        return (i, "`\(line)` shows \(Escaping.visible(origin)) \(count) time\(count == 1 ? "" : "s"), not \(max(0, expected)), after deleting it \(times == 1 ? "once" : "\(times) times")")
                    }
                }
            case .verifyStatus(let list):
                guard before.contains(where: { $0.step == .enable(list) }) else { continue }
                let parsed = CorsStatusParser.parse(output)
                guard let state = parsed.value else { return (i, "`\(line)` printed a status that cannot be read (\(reason(parsed)))") }
                if state != .enabled { return (i, "`\(line)` says \(state.rawValue) after `\(RemediationAction.enable(list).commandLine!)`") }
            case .verifyGadgetSources:
                var added: [String] = []
                for case .addGadgetSource(let url) in before.map(\.step) { added.append(url) }
                guard !added.isEmpty else { continue }
                let parsed = SettingListParser.parseGadgetSources(output)
                guard let shown = parsed.value?.origins else { return (i, "`\(line)` printed a list that cannot be read (\(reason(parsed)))") }
                if let missing = added.first(where: { !shown.contains($0) }) { return (i, "`\(line)` does not show \(Escaping.visible(missing)), which was added") }
            case .verifyPrivateNetworkAccess:
                var set: [Bool] = []
                for case .setPrivateNetworkAccess(let on) in before.map(\.step) { set.append(on) }
                guard let wanted = set.last else { continue }
                let parsed = SwitchStatusParser.parse(output)
                guard let state = parsed.value else { return (i, "`\(line)` printed a status that cannot be read (\(reason(parsed)))") }
                if state != wanted { return (i, "`\(line)` says \(state ? "enabled" : "disabled") after `\(RemediationAction.setPrivateNetworkAccess(wanted).commandLine!)`") }
            case .verifyServices:
                let touched: [(name: String, verb: String)] = before.compactMap {
                    switch $0.step {
                    case .restart(let name): (name, "restart")
                    case .start(let name): (name, "start")
                    default: nil
                    }
                }
                guard !touched.isEmpty else { continue }
                let parsed = ServiceListParser.parse(output)
                guard let services = parsed.value else { return (i, "`\(line)` printed a service list that cannot be read (\(reason(parsed)))") }
                for (name, verb) in touched {
                    guard let service = services.service(named: name) else {
                        return (i, "`\(line)` does not list \(name) after its \(verb)")
                    }
                    if service.state != .started {
                        return (i, "`\(line)` shows \(Escaping.visible(service.name)) \(Escaping.visible(service.rawState)) after its \(verb), not STARTED")
                    }
                }
            default:
                continue
            }
        }
        return unverified(steps)
    }

    /// A change typed with no verification step typed after it (a plan read back may lack one): not verified.
    private static func unverified(_ steps: [NodeApplyRecord.Step]) -> (index: Int, why: String)? {
        let typed = steps.indices.filter { steps[$0].status == .applied }
        for i in typed {
            let after = typed.filter { $0 > i }.map { steps[$0].step }
            let needed: RemediationAction
            switch steps[i].step {
            case .add(let list, _), .delete(let list, _, _): needed = .verifyList(list)
            case .enable(let list): needed = .verifyStatus(list)
            case .restart, .start: needed = .verifyServices
            case .addGadgetSource: needed = .verifyGadgetSources
            case .setPrivateNetworkAccess: needed = .verifyPrivateNetworkAccess
            default: continue
            }
            if !after.contains(needed) {
                return (i, "no `\(needed.commandLine!)` after it, so the change is not verified")
            }
        }
        return nil
    }

    private static func reason<T>(_ outcome: ParseOutcome<T>) -> String {
        switch outcome {
        case .parsed: "parsed"
        case .failed(let marker): "the node answered \"\(marker)\""
        case .unparsed(let why): why
        }
    }
}
