/// Parsers for the per-node settings beside the CORS lists: Finesse's gadget source check, CUIC's private network
/// access and the header lists. Their output texts are not public (docs/releases.md marks them assumed), so each
/// reuses the shape of a documented sibling and refuses whatever it does not understand.

/// An on/off switch as a `... status` command reports it.
public enum SwitchStatusParser {
    /// `utils finesse gadget_source_check status` ("prints the allowed list status (enabled or disabled)", S9) and
    /// `utils cuic cors private-network-access status` (S2): read like the CORS status, where `enable_all` has no
    /// meaning and is refused.
    public static func parse(_ output: String) -> ParseOutcome<Bool> {
        switch CorsStatusParser.parse(output) {
        case .parsed(.enabled): .parsed(true)
        case .parsed(.disabled): .parsed(false)
        case .parsed(.enableAll): .unparsed("enable_all is no state of this switch")
        case .failed(let marker): .failed(marker)
        case .unparsed(let reason): .unparsed(reason)
        }
    }
}

/// Numbered lists other than the origin lists, read with ``OriginListParser``'s rules (numbering from 1 without
/// gaps, a line that looks like an entry in another form refused, unknown text beside no entries refused).
public enum SettingListParser {
    /// `utils finesse gadget_source_check allowed_list list`: `N: source` as Finesse prints its other lists (its
    /// delete menu prints `1: http://origin1:8080`, S9), or a "no sources/origins" message → empty.
    public static func parseGadgetSources(_ output: String) -> ParseOutcome<OriginList> {
        OriginListParser.parse(output, separator: ":", nouns: ["source", "origin", "url"])
    }

    /// `utils <family> cors allowed_headers list` and `... exposed_headers list`: `N. header` (CUIC, Live Data, like
    /// their origin lists) or `N: header` (Finesse, like its delete menu). The form is not public, so both are read;
    /// a list mixing them is refused.
    public static func parseHeaders(_ output: String) -> ParseOutcome<OriginList> {
        let dotted = OriginListParser.parse(output, separator: ".", nouns: ["header"])
        if case .parsed(let list) = dotted, !list.origins.isEmpty { return dotted }
        let colon = OriginListParser.parse(output, separator: ":", nouns: ["header"])
        if case .parsed = colon { return colon }
        return dotted
    }
}
