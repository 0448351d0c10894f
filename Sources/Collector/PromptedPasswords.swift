import AuditCore
import Foundation

/// Passwords typed at the terminal for `password_prompt: true`, asked once per scope and user.
public struct PromptedPasswords: Sendable {
    public struct Key: Hashable, Sendable {
        public var scope: String
        public var username: String
    }

    /// One question to ask: which scope, which user, and the nodes that share the answer.
    public struct Request: Sendable, Equatable {
        public var scope: String
        public var username: String
        public var hosts: [String]
        public var key: Key { Key(scope: scope, username: username) }

        /// `Password for admin (defaults: 12 nodes): ` or `Password for admin@cuicpub.example: `.
        public var prompt: String {
            scope == "defaults"
                ? "Password for \(username) (defaults: \(hosts.count) node\(hosts.count == 1 ? "" : "s")): "
                : "Password for \(username)@\(scope): "
        }
    }

    var answers: [Key: String] = [:]
    /// Why a scope has no answer (no terminal, interrupted, empty): the nodes fail with this cause.
    var problems: [Key: String] = [:]

    public init() {}

    /// Every prompt the audited nodes of `inventory` need, defaults first, then by host.
    public static func requests(for inventory: Inventory, nodes: [InventoryNode]? = nil) -> [Request] {
        var order: [Key] = []
        var hosts: [Key: [String]] = [:]
        for node in nodes ?? inventory.nodes.map(\.node).filter(\.audit) {
            guard case .passwordPrompt(let scope) = node.connection.credential else { continue }
            let key = Key(scope: scope, username: node.connection.username)
            if hosts[key] == nil { order.append(key) }
            hosts[key, default: []].append(node.host)
        }
        order.sort { ($0.scope == "defaults" ? 0 : 1, $0.scope, $0.username) < ($1.scope == "defaults" ? 0 : 1, $1.scope, $1.username) }
        return order.map { Request(scope: $0.scope, username: $0.username, hosts: hosts[$0]!) }
    }

    /// Asks each request not asked before with `read` (the command line's terminal prompt); a scope that
    /// cannot be asked is recorded (its nodes fail with the cause), never fatal.
    public mutating func ask(_ requests: [Request], read: (String) throws -> String) {
        for request in requests where answers[request.key] == nil && problems[request.key] == nil {
            do {
                answers[request.key] = try read(request.prompt)
            } catch {
                problems[request.key] = "\(error)"
            }
        }
    }

    public mutating func set(_ password: String, for key: Key) { answers[key] = password }

    func password(scope: String, username: String) -> Result<String, Credentials.Problem> {
        let key = Key(scope: scope, username: username)
        if let answer = answers[key] { return .success(answer) }
        let cause = problems[key] ?? "it was not asked"
        return .failure(Credentials.Problem(message: "password_prompt (\(scope == "defaults" ? "defaults" : "node \(scope)")): \(cause)"))
    }
}

