import AuditCore

/// The origin × node grid in the HTML report: a table per cluster and list kind, each cell a symbol and a word (so it
/// reads in grey scale and on paper), coloured by state; with the probe, what the browser got beneath it. CSS only.
enum MatrixHTML {
    static func grid(_ m: OriginMatrix) -> String {
        let h = Escape.html
        var out = "<div class=\"matrix\"><h3>\(m.list.displayName) list: origin × node</h3>"
        guard !m.isEmpty else { return out + "<p>No origin expected, listed or probed.</p></div>" }
        out += "<div class=\"scroll\"><table class=\"grid\"><thead><tr><th scope=\"col\">Origin</th>"
        for c in m.columns {
            let status = c.status == .audited ? c.state : c.status.rawValue
            out += "<th scope=\"col\">\(hostBreakable(c.host))<br><small>\(h(status))</small></th>"
        }
        out += "<th scope=\"col\">Nodes</th></tr></thead><tbody>"
        for row in m.rows {
            let note = row.source == .probed ? " <small>(probed only)</small>" : ""
            out += "<tr\(row.asymmetric ? " class=\"asym\"" : "")><th scope=\"row\"><code>\(h(Escaping.terminal(row.origin)))</code>\(note)</th>"
            for (cell, column) in zip(row.cells, m.columns) { out += td(cell, host: column.host, origin: row.origin) }
            out += row.asymmetric ? "<td class=\"d\">≠ differ</td>" : "<td class=\"d same\">same</td>"
            out += "</tr>"
        }
        return out + "</tbody></table></div></div>"
    }

    static func td(_ cell: OriginMatrix.Cell, host: String, origin: String) -> String {
        let h = Escape.html
        var classes = ["c", cell.config.rawValue]
        var title = "\(host): \(cell.config.label)"
        var word = cell.config.label
        if cell.count > 1 { word += " ×\(cell.count)"; title += " (listed \(cell.count) times)" }
        var probe = ""
        if let b = cell.browser {
            var text = "browser: " + b.label
            if cell.configuredNotEffective {
                classes.append("cne"); text = "⚠ " + text + ": configured, not in effect"
            } else if cell.effectiveNotConfigured {
                classes.append("enc"); text = "⚠ " + text + ": not configured"
            } else if cell.browserOff {
                classes.append("off"); text = "⚠ " + text
            }
            probe = "<span class=\"b \(b.rawValue)\">\(h(text))</span>"
            title += "; \(text)"
        }
        return "<td class=\"\(classes.joined(separator: " "))\" title=\"\(h(title))\"><span class=\"s\" aria-hidden=\"true\">\(cell.config.symbol)</span> "
            + "<span class=\"w\">\(h(word))</span>\(probe)</td>"
    }

    /// A host name that may wrap after each dot on a narrow screen; each label escaped.
    static func hostBreakable(_ host: String) -> String {
        host.split(separator: ".", omittingEmptySubsequences: false).map { Escape.html(Escaping.terminal(String($0))) }
            .joined(separator: ".<wbr>")
    }

    static func legend(probed: Bool) -> String {
        var items = OriginMatrix.Config.allCases.map { c in
            "<span class=\"c \(c.rawValue)\"><span class=\"s\">\(c.symbol)</span> \(c.label)</span>"
        }
        items.append("<span class=\"asym-key\">≠ row: the nodes differ</span>")
        if probed {
            items.append("<span class=\"c present cne\">browser refused: configured, not in effect</span>")
            items.append("<span class=\"c absent enc\">browser allowed: not configured</span>")
        }
        return "<p class=\"legend\"><strong>Grid:</strong> " + items.joined(separator: " ") + "</p>"
    }

    static let css = """
        .matrix h3{margin:1rem 0 .3rem}.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
        table.grid{width:auto;min-width:50%}table.grid th,table.grid td{border:1px solid #ccc;text-align:center;vertical-align:top}
        table.grid th[scope=row]{text-align:left;font-weight:400;max-width:28rem;overflow-wrap:anywhere}table.grid thead th{font-weight:600}
        .c{white-space:nowrap}.c .s{font-weight:700;font-size:1.1em}.c .w{font-size:.8em}.b{display:block;font-size:.75em;white-space:normal;max-width:11rem}
        .c.present{background:#e6f4ea;color:#1e5e2c}.c.missing{background:#fdecea;color:#b00020;font-weight:600}
        .c.ineffective{background:#fff0e0;color:#8a4b00}.c.unexpected{background:#fff8d6;color:#7a5a00}
        .c.not-read{background:#eeeeee;color:#555}.c.absent{color:#999}
        td.cne,span.cne{background:repeating-linear-gradient(135deg,#e6f4ea 0 6px,#f7c6cc 6px 12px);outline:2px dashed #b00020}
        td.enc,span.enc{background:repeating-linear-gradient(135deg,#fff 0 6px,#ffe08a 6px 12px);outline:2px dashed #7a5a00}
        td.c.enc .b,span.c.enc{color:#5a4300;font-weight:600}td.off{outline:2px dashed #b36b00}.b.refused,.b.no-answer{font-weight:600}
        tr.asym th[scope=row]{border-left:5px solid #b36b00;background:#fff8e1}td.d{font-size:.85em;white-space:nowrap}tr.asym td.d{font-weight:700;color:#8a4b00}
        td.same{color:#999}.legend{font-size:.9em;line-height:2}.legend .c{padding:.1rem .4rem;border:1px solid #ccc;border-radius:3px;margin-right:.2rem}
        .asym-key{border-left:5px solid #b36b00;background:#fff8e1;padding:.1rem .4rem}
        @media (max-width:600px){.c .w{display:none}.b{max-width:6rem}body{padding:.5rem}table.grid th[scope=row]{min-width:11rem;font-size:.85em}}
        """
}
