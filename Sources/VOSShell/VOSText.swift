/// The VOS CLI's texts as the client knows them: what it types, and the fragments it recognises in what a node
/// prints (lower case: matched ignoring ASCII case). The one client-side definition, for both conversations, the
/// parsers and the collector; the simulator keeps its own, so the server side of the tests stays independent.
public enum VOSText {
    // MARK: Prompt

    /// What every prompt starts with: `admin:`, or `admin[N]:` after `set commandcount enable`. VOS prints it
    /// whoever logged in.
    public static let promptName = "admin"
    /// The prompt as usually printed.
    public static let prompt = promptName + ":"

    // MARK: Typed

    /// Typed first in every session so long outputs do not stop at the pager.
    public static let setupCommand = "set cli pagination off"
    /// Ends a session.
    public static let exitCommand = "exit"

    // MARK: Pager

    /// The pager line, printed with pagination on.
    public static let pager = "Press <enter> for 1 line, <space> for one page, or <q> to quit"
    /// The part of the pager that identifies it.
    public static let pagerCore = "<space> for one page"
    /// Its first word and its last, which bound the text the pager takes on its line.
    public static let pagerFirstWord = "press"
    public static let pagerLastWord = "quit"
    /// Its opening and closing, which bound a pager when one line holds several.
    public static let pagerOpening = "press <enter> for 1 line"
    public static let pagerClosing = "to quit"

    // MARK: Failures

    /// Printed anywhere in a command's output when it failed.
    public static let commandFailed = "executed command unsuccessfully"
    /// Starts the output of a command the CLI does not know.
    public static let invalidCommand = "invalid command"

    // MARK: Questions

    /// The choices of a confirmation question: `Continue (y/n)?`, `Proceed [yes/no]:`; refused with `n`/`no`.
    public static let yesNoShort = "y/n"
    public static let yesNoLong = "yes/no"
    public static let shortNo = "n"
    public static let longNo = "no"
    /// A question with no negative: ENTER goes ahead.
    public static let pressEnter = "press enter to continue"
    public static let pressEnterBracketed = "press <enter> to continue"

    // MARK: Deleting an allowed origin

    /// Starts the prompt of an interactive delete: `Select the index of origin to be deleted [1-N or a,q]`, Finesse's
    /// `... of origin(s) ...`, with or without a trailing colon.
    public static let selectionPrompt = "select the index"
    /// The longer start a prompt needs when it ends at its range's `]`, with no colon or question mark after it.
    public static let selectionPromptOrigin = "select the index of origin"
    /// Where the prompt's range starts: the N of `[1-N`.
    public static let selectionRange = "[1-"
    /// Quits the selection without deleting.
    public static let selectionQuit = "q"
    /// What an interactive delete prints instead of a list when there is nothing to delete.
    public static let noOrigins = "no origins are configured"
}
