import VOSShell

/// Invariants of the conversation state machines, driven by a scripted node.
///
/// Input layout: a header (settings), then what the node prints, in blocks separated by `0xFF`;
/// each block is delivered as one read in the reference run and split at every `0xFE` in a second
/// run. A real node prints a block and then waits for something to be typed, so the two runs must
/// agree whenever the split run answered nothing before a block's end (an earlier answer means a
/// prompt-like text ended a read while the node was still printing, which only clocks can tell).
enum ConversationChecks {
    static let blockEnd: UInt8 = 0xFF
    static let split: UInt8 = 0xFE

    static let auditCommands = [
        "utils cuic cors allowed_origin list",
        "utils cuic cors status",
        "show version active",
    ]

    /// Blocks, each a list of reads.
    static func script(_ body: ArraySlice<UInt8>) -> [[[UInt8]]] {
        body.split(separator: blockEnd, omittingEmptySubsequences: false).prefix(512).map { block in
            block.split(separator: split, omittingEmptySubsequences: false).map(Array.init)
        }
    }

    // MARK: Audit conversation

    static func vos(_ input: [UInt8]) throws {
        guard input.count >= 3 else { return }
        let flags = input[0]
        let commands = Array(auditCommands.prefix(Int(flags & 0x3)))
        let maxOutput = input[1] == 0 ? 4 << 20 : Int(input[1]) * 16
        let maxPager = input[2] == 0 ? 10_000 : Int(input[2] % 8)
        let config = VOSConversationConfig(lineEnding: flags & 0x8 != 0 ? "\r\n" : "\n", maxOutputBytes: maxOutput,
                                           maxPagerAnswers: maxPager, disablePagination: flags & 0x4 != 0)
        // 1: the node closes the session at the end, 2: the caller's deadline passes, else nothing.
        let ending = (flags >> 4) & 0x3
        let ends = ending == 1 || ending == 2
        let blocks = script(input[3...])

        var whole = VOSConversation(commands: commands, config: config)
        var chunked = VOSConversation(commands: commands, config: config)
        var wholeTyped = TypedLog(conversationLines: commands, setup: config.disablePagination ? VOSConversation.setupCommand : nil,
                                  lineEnding: config.lineEnding)
        var chunkedTyped = wholeTyped
        var comparable = true
        var delivered: [UInt8] = []

        for block in blocks {
            let bytes = Array(block.joined())
            delivered += bytes
            let wasRunning = !whole.isDone
            let reply = whole.receive(bytes)
            try wholeTyped.record(reply, done: !wasRunning)

            var last: [UInt8] = []
            for (i, read) in block.enumerated() {
                let running = !chunked.isDone
                let r = chunked.receive(read)
                try chunkedTyped.record(r, done: !running)
                if read.isEmpty { try require(r.isEmpty, "an empty read was answered with \(r)") }
                if i < block.count - 1, !r.isEmpty || chunked.isDone { comparable = false }
                last = r
            }
            if comparable {
                try require(last == reply, "a block split at 0xFE is answered \(last), whole \(reply)")
                try sameVOS(whole, chunked)
            }
        }
        switch ending {
        case 1: whole.endOfFile(); chunked.endOfFile()
        case 2: whole.timedOut(); chunked.timedOut()
        default: break
        }
        if comparable { try sameVOS(whole, chunked) }
        // Every byte received, but for what arrives once the conversation is done: a bounded part of that.
        try require(whole.transcript == delivered || (whole.isDone && delivered.starts(with: whole.transcript)
                        && whole.transcript.count >= min(delivered.count, 64 << 10)), "the transcript is not the bytes received")

        for c in [whole, chunked] {
            try require(c.results.count == commands.count, "\(c.results.count) results for \(commands.count) commands")
            for result in c.results + (c.setupResult.map { [$0] } ?? []) {
                try require(result.byteCount <= maxOutput, "\(result.byteCount) bytes counted past the cap \(maxOutput)")
                try require(result.pagerAnswers <= maxPager, "\(result.pagerAnswers) pager answers past the cap \(maxPager)")
                try require(!result.output.contains("\r"), "a carriage return in the output \(String(reflecting: result.output))")
                if case .truncated(let limit) = result.outcome {
                    switch c.failure {
                    case .outputLimit(_, let cap)?: try require(limit == cap, "truncated at \(limit), cap \(cap)")
                    case .pagerLimit?: try require(limit == maxPager, "truncated at \(limit), pager cap \(maxPager)")
                    default: throw InvariantViolation(description: "a truncated result without a limit failure: \(String(describing: c.failure))")
                    }
                }
            }
            if !config.disablePagination { try require(c.setupResult == nil, "a setup result without setup") }
            switch c.state {
            case .finished:
                try require(c.failure == nil && c.phase == .finished, "finished with \(String(describing: c.failure)) in \(c.phase)")
                try require(c.results.allSatisfy { $0.outcome != .notRun }, "finished with a command not run")
            case .failed:
                try require(c.failure != nil, "failed without a failure")
            case .running:
                try require(c.failure == nil && !ends, "running after \(ending == 1 ? "end of file" : "a timeout"), or with a failure")
            }
            if case .command(let index) = c.phase {
                try require(c.results[(index + 1)...].allSatisfy { $0.outcome == .notRun }, "a command after the current one has a result")
            }
            for count in [0, 1, 40, 200] {
                let tail = c.lastBytesDescription(count)
                try require(!tail.unicodeScalars.contains(where: TextChecks.isControl), "a control character in the last-bytes description")
                try require(tail.unicodeScalars.count <= count * 12, "last-bytes description of \(count) bytes is \(tail.unicodeScalars.count) long")
            }
            // Once done, nothing more is typed whatever arrives.
            if c.isDone {
                var after = c
                try require(after.receive(Array("\r\nadmin:".utf8)).isEmpty, "a prompt after the end was answered")
            }
        }
    }

    static func sameVOS(_ a: VOSConversation, _ b: VOSConversation) throws {
        try require(a.results == b.results, "results differ by chunking: \(a.results) vs \(b.results)")
        try require(a.setupResult == b.setupResult, "setup results differ by chunking")
        try require(a.phase == b.phase && a.state == b.state && a.failure == b.failure,
                    "phase/state/failure differ by chunking: \(a.phase) \(a.state) \(String(describing: a.failure)) vs \(b.phase) \(b.state) \(String(describing: b.failure))")
        try require(a.transcript == b.transcript, "transcripts differ by chunking")
    }

    /// What an audit may type: the setup, its commands in order once each, refusals, a pager space, `exit`.
    struct TypedLog {
        var lines: [String]
        let lineEnding: String
        var next = 0

        init(conversationLines: [String], setup: String?, lineEnding: String) {
            lines = (setup.map { [$0] } ?? []) + conversationLines + ["exit"]
            self.lineEnding = lineEnding
        }

        mutating func record(_ reply: [UInt8], done: Bool) throws {
            if done { try require(reply.isEmpty, "typed \(reply) after the end"); return }
            if reply.isEmpty || reply == [0x03] || reply == [0x20] { return }
            let typed = String(decoding: reply, as: UTF8.self)
            if typed == "n" + lineEnding || typed == "no" + lineEnding { return }
            try require(next < lines.count && typed == lines[next] + lineEnding,
                        "typed \(String(reflecting: typed)), expected \(next < lines.count ? String(reflecting: lines[next]) : "nothing")")
            next += 1
        }
    }

    // MARK: Apply conversation

    static let addLine = "utils cuic cors allowed_origin add https://new.example.com:8445"
    static let deleteLine = "utils cuic cors allowed_origin delete"
    static let plannedOrigin = "https://old.example.com"

    static func apply(_ input: [UInt8]) throws {
        guard input.count >= 3 else { return }
        let flags = input[0]
        let index = Int(flags >> 4 & 0x3) + 1
        let delete = ApplyStep.delete(command: deleteLine, index: index, origin: plannedOrigin)
        let steps: [ApplyStep] = switch flags & 0x3 {
        case 0: []
        case 1: [.command(addLine)]
        case 2: [delete]
        default: [.command(addLine), delete, .command(addLine)]
        }
        let ending = (flags >> 2) & 0x3
        let ends = ending == 1 || ending == 2
        let blocks = script(input[3...])

        func make() -> ApplyConversation {
            var c = ApplyConversation(steps: steps)
            if input[1] != 0 { c.maxOutputBytes = Int(input[1]) * 16 }
            if input[2] != 0 { c.maxPagerAnswers = Int(input[2] % 8) }
            return c
        }
        var whole = make()
        var chunked = make()
        var comparable = true
        var stepStart: [Int: Int] = [:]

        for block in blocks {
            let bytes = Array(block.joined())
            let before = whole.sendCount
            let wasDone = whole.isDone
            let step = whole.currentStepIndex
            let reply = whole.receive(bytes)
            try checkApplyReply(reply, conversation: whole, stepBefore: step, wasDone: wasDone, sendCountBefore: before,
                                stepStart: &stepStart, steps: steps)

            var last: [UInt8] = []
            for (i, read) in block.enumerated() {
                let snapshot = (chunked.phase, chunked.failure, chunked.results, chunked.sendCount)
                let r = chunked.receive(read)
                if read.isEmpty { try require(r.isEmpty, "an empty read was answered with \(r)") }
                if i < block.count - 1,
                   !r.isEmpty || snapshot != (chunked.phase, chunked.failure, chunked.results, chunked.sendCount) {
                    comparable = false
                }
                last = r
            }
            if comparable {
                try require(last == reply, "a block split at 0xFE is answered \(last), whole \(reply)")
                try sameApply(whole, chunked)
            }
        }
        switch ending {
        case 1: whole.endOfFile(); chunked.endOfFile()
        case 2: whole.timedOut(); chunked.timedOut()
        default: break
        }
        if comparable { try sameApply(whole, chunked) }

        for c in [whole, chunked] {
            try require(c.results.count == steps.count, "\(c.results.count) results for \(steps.count) steps")
            if ends { try require(c.isDone, "not done after \(ending == 1 ? "end of file" : "a timeout")") }
            // A step applied only when every step before it was.
            if let firstNotApplied = c.results.firstIndex(where: { $0.outcome != .applied }) {
                try require(c.results[firstNotApplied...].allSatisfy { $0.outcome != .applied }, "a step applied after one that was not")
            }
            if c.failure == nil, c.isDone, !ends {
                try require(c.results.allSatisfy { $0.outcome == .applied }, "done without a failure but not every step applied")
            }
            for count in [0, 1, 200] {
                try require(!c.lastBytesDescription(count).unicodeScalars.contains(where: TextChecks.isControl),
                            "a control character in the last-bytes description")
            }
            if c.isDone {
                var after = c
                try require(after.receive(Array("\r\nadmin:".utf8)).isEmpty, "a prompt after the end was answered")
            }
        }
    }

    /// What an apply may type, and the delete rule: an index only for the planned entry.
    static func checkApplyReply(_ reply: [UInt8], conversation c: ApplyConversation, stepBefore: Int?, wasDone: Bool,
                                sendCountBefore: Int, stepStart: inout [Int: Int], steps: [ApplyStep]) throws {
        try require((c.sendCount != sendCountBefore) == !reply.isEmpty, "sendCount \(sendCountBefore) → \(c.sendCount) for reply \(reply)")
        if wasDone { try require(reply.isEmpty, "typed \(reply) after the end") }
        if reply.isEmpty || reply == [0x03] || reply == [0x20] { return }
        let typed = String(decoding: reply, as: UTF8.self)
        guard typed.hasSuffix("\n") else { throw InvariantViolation(description: "typed \(String(reflecting: typed)) without a line end") }
        let line = String(typed.dropLast())
        switch line {
        case "n", "no", "q", "exit", VOSText.setupCommand:
            return
        case "a", "y", "yes":
            throw InvariantViolation(description: "typed \(String(reflecting: line)): an apply never confirms or deletes all")
        default:
            break
        }
        if let i = c.currentStepIndex, steps[i].line == line, stepBefore != i || stepStart[i] == nil {
            stepStart[i] = c.transcript.count
            return
        }
        guard let i = stepBefore, case .delete(_, let index, let origin) = steps[i], line == String(index) else {
            throw InvariantViolation(description: "typed \(String(reflecting: line)) in \(c.phase)")
        }
        // The index is typed only when the node listed the planned origin at it.
        let start = stepStart[i] ?? 0
        let listed = String(decoding: ANSIFilter.strip(c.transcript[start...]), as: UTF8.self).replacingCRs()
        try require(ApplyConversation.menuEntries(listed).contains { $0.index == index && $0.origin == origin },
                    "typed index \(index) but the node did not list \(origin) at it: \(String(reflecting: String(listed.suffix(400))))")
    }

    static func sameApply(_ a: ApplyConversation, _ b: ApplyConversation) throws {
        try require(a.results == b.results, "results differ by chunking: \(a.results) vs \(b.results)")
        try require(a.phase == b.phase && a.failure == b.failure,
                    "phase/failure differ by chunking: \(a.phase) \(String(describing: a.failure)) vs \(b.phase) \(String(describing: b.failure))")
        try require(a.sendCount == b.sendCount && a.transcript == b.transcript, "sends or transcripts differ by chunking")
    }
}

extension String {
    fileprivate func replacingCRs() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\r" ? "\n" : $0 }))
    }
}
