/// One command typed at a prompt in a transcript, and what the node printed for it.
public struct TranscriptEntry: Sendable, Equatable, Codable {
    /// The command typed after the prompt, trimmed (inner spacing as typed).
    public var command: String
    /// What the node printed: ANSI stripped, `\n` line ends, echo, pager prompts and the next prompt removed, no trailing blank lines, no final line break.
    public var output: String
    /// The 1-based line of the transcript that holds the command's prompt line.
    public var line: Int

    /// Creates an entry from its parts.
    public init(command: String, output: String, line: Int) {
        self.command = command
        self.output = output
        self.line = line
    }
}

/// Splits a saved or pasted VOS CLI session into its commands.
public enum TranscriptSplitter {
    /// Splits a whole pasted VOS CLI session (banner, `admin:` prompts with commands, outputs) into (command, output) pairs.
    ///
    /// Text before the first prompt is banner and is ignored; a prompt with nothing typed yields no entry.
    public static func split(_ transcript: String) -> [TranscriptEntry] {
        var entries: [TranscriptEntry] = []
        var current: (command: String, line: Int, output: [String])?

        func close() {
            guard var entry = current else { return }
            while let last = entry.output.last, TextLines.trim(last).isEmpty { entry.output.removeLast() }
            entries.append(TranscriptEntry(command: entry.command, output: entry.output.joined(separator: "\n"), line: entry.line))
            current = nil
        }

        // A byte-order mark opening the file is its encoding, not text on the node's screen.
        let text = transcript.unicodeScalars.first == "\u{FEFF}" ? String(transcript.unicodeScalars.dropFirst()) : transcript
        for (index, line) in TextLines.split(text).enumerated() {
            // Pager text first, as CommandText does: a prompt left once it is gone is a prompt, not output.
            guard let kept = TextLines.removingPager(line) else { continue }
            if let command = TextLines.promptCommand(kept) {
                close()
                if !command.isEmpty { current = (command, index + 1, []) }
                continue
            }
            current?.output.append(kept)
        }
        close()
        return entries
    }
}
