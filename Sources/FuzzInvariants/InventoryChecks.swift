import AuditCore

/// Invariants of the inventory loader on any YAML text.
enum InventoryChecks {
    static let path = "fuzz.yaml"
    /// Fixed, so the result cannot depend on who runs the fuzzer.
    static let environment = ["HOME": "/home/fuzz"]

    static func inventory(_ input: [UInt8]) throws {
        let yaml = text(input)
        let first = load(yaml)
        let second = load(yaml)
        switch (first, second) {
        case (.success(let a), .success(let b)):
            try require(a == b, "parse is not deterministic")
            try valid(a)
        case (.failure(let a), .failure(let b)):
            // Positions and keys, not messages: Yams words a duplicate-key error with whichever duplicate
            // its dictionary yields first, so that message's context varies from run to run.
            try require(a.errors.map { [$0.line, $0.column] } == b.errors.map { [$0.line, $0.column] } && a.errors.map(\.key) == b.errors.map(\.key),
                        "errors are not deterministic:\n\(a)\n--- then ---\n\(b)")
            try require(!a.errors.isEmpty, "an error without errors")
            // libyaml (and the anchor check before it) also breaks lines at NEL, LS and PS.
            let lines = yaml.unicodeScalars.filter { ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains($0) }.count + 2
            for error in a.errors {
                try require(error.path == path, "error names \(error.path), not the file")
                try require(!error.message.isEmpty && !error.key.isEmpty, "an error without key or message: \(error)")
                try require(error.line >= 0 && error.line <= lines && error.column >= 0,
                            "error position \(error.line):\(error.column) outside the text's \(lines) lines")
            }
        default:
            throw InvariantViolation(description: "parse succeeds once and fails once")
        }
    }

    /// Errors as values: anything else thrown is a broken contract.
    static func load(_ yaml: String) -> Result<Inventory, InventoryErrors> {
        do {
            return .success(try InventoryLoader.parse(yaml: yaml, path: path, baseDirectory: "/fuzz", environment: environment))
        } catch let errors as InventoryErrors {
            return .failure(errors)
        } catch {
            fatalError("the loader threw \(type(of: error)), not InventoryErrors: \(error)")
        }
    }

    /// What an accepted inventory guarantees to the rest of the audit.
    static func valid(_ inventory: Inventory) throws {
        try require(inventory.version == 1, "accepted version \(inventory.version)")
        for (cluster, node) in inventory.nodes {
            try require(SafeName.isClusterName(cluster.name), "cluster name \(String(reflecting: cluster.name)) outside the safe set")
            try require(SafeName.isAddress(node.connection.address), "address \(String(reflecting: node.connection.address)) of \(node.host)")
            try require(!node.host.isEmpty && !node.host.contains(where: \.isWhitespace), "node host \(String(reflecting: node.host))")
            try require((1...65535).contains(node.connection.port), "port \(node.connection.port) of \(node.host)")
            try require(!node.lists.isEmpty, "node \(node.host) holds no list")
            let t = node.connection.timeouts
            try require([t.connect, t.login, t.command].allSatisfy { $0.isFinite && $0 > 0 }, "timeouts \(t) of \(node.host)")
        }
        for cluster in inventory.clusters {
            for origin in ExpectedOrigins.required(for: cluster) + cluster.expected.extraOrigins + cluster.expected.toleratedOrigins {
                try require(Origin(canonical: origin.description) == origin, "expected origin \(origin) is not canonical")
            }
            try require(cluster.expected.finessePorts.allSatisfy { (1...65535).contains($0) }, "finesse ports \(cluster.expected.finessePorts)")
        }
    }
}
