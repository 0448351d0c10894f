import ArgumentParser
import AuditCore
import Foundation
import Pipeline
import Reports

struct FormatList: ExpressibleByArgument {
    var formats: [ReportFormat]
    init?(argument: String) {
        var result: [ReportFormat] = []
        for word in argument.split(separator: ",") {
            let w = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard let f = ReportFormat(rawValue: w == "md" ? "markdown" : w == "prom" ? "prometheus" : w) else { return nil }
            if !result.contains(f) { result.append(f) }
        }
        guard !result.isEmpty else { return nil }
        formats = result
    }
    init(_ formats: [ReportFormat]) { self.formats = formats }
    static var allValueStrings: [String] { ReportFormat.allCases.map(\.rawValue) }
    var defaultValueDescription: String { formats.map(\.rawValue).joined(separator: ",") }
}

/// How a run reports: what goes to stdout, which files land where, and the exit-code threshold.
struct ReportingOptions: ParsableArguments {
    @Option(name: .long, help: "Comma-separated: table, json, markdown, html, junit, prometheus, csv (one row per finding), mail (a short text with a Subject: line). stdout shows the first of table, json, mail, csv asked for (else the result line); every format is also written to the run folder.")
    var format: FormatList = FormatList([.table])

    @Option(name: .long, help: "Write the run's files into DIR, replaced whole (refused if it holds files cors-audit does not write; default: reports/<UTC time>/, with reports/latest pointing at it).")
    var output: String?

    @Option(name: .long, help: "Also write the Prometheus metrics to this file (atomically), e.g. in node_exporter's textfile directory.")
    var prometheusFile: String?

    @Option(name: .customLong("fail-on"), help: "Lowest finding severity that makes the exit code 1: error, warning or info.")
    var failOn: Severity = .warning

    @Flag(name: .long, help: "Print nothing unless the run is not clean: a finding at or above --fail-on, or a node or preflight not fully audited.")
    var quiet = false

    @Flag(name: .long, help: "At fleet scale (4+ clusters or 20+ nodes) show every cluster and skipped node in the table instead of collapsing the clean ones.")
    var all = false

    @Option(name: .long, help: "Folder that holds the timestamped run folders.")
    var reportsDir: String = "reports"

    @Flag(name: .long, help: "Before the table, print each cluster's origin × node grid per list (80 columns, origins keyed by letter with a legend).")
    var matrix = false

    func validate() throws {
        if matrix && !format.formats.contains(.table) { throw ValidationError("--matrix prints with the table: add table to --format") }
    }

    /// Runs the pipeline on `inventory`, says on stderr what its stages could not do, and emits the report.
    func run(_ pipeline: AuditPipeline, _ inventory: Inventory) async throws -> Int32 {
        let result = await pipeline.run(inventory)
        for warning in result.warnings { Terminal.error(warning) }
        return try emit(result.report, transcripts: result.transcripts)
    }

    /// Writes every file, prints what stdout should show, and returns the exit code.
    func emit(_ report: AuditReport, transcripts: [String: [UInt8]] = [:]) throws -> Int32 {
        let verdict = report.verdict(failOn: failOn)
        var files = RunFolder(path: output, reportsDir: reportsDir, generatedAt: report.generatedAt)
        // Tests only: hold the run just before report.json, so a kill can be made to land inside the write window.
        if let pause = ProcessInfo.processInfo.environment["CORS_AUDIT_TEST_PAUSE_BEFORE_REPORT_JSON"].flatMap(Double.init),
           pause > 0, pause <= 5 {
            files.beforeReportJSON = { _ in Thread.sleep(forTimeInterval: pause) }
        }
        var runbooks = "\(files.displayPath)/remediation/"
        // Built once for report.json and stdout alike.
        let json = report.json(failOn: failOn)
        do {
            try files.write(report, formats: format.formats, failOn: failOn, transcripts: transcripts, json: json)
            if let prometheusFile { try RunFolder.atomicWrite(PrometheusRenderer().render(report), to: prometheusFile) }
        } catch {
            Terminal.error("could not write the reports: \(error)")
            runbooks = ""
            // The verdict still stands; a lost report is worth a non-zero exit of its own when the run was clean.
            if verdict == .clean { return 2 }
        }
        // Unknown host keys: one line for all of them, their known_hosts lines in one file of the run.
        let newKeys = report.nodes.filter { $0.newHostKey != nil }.map(\.host)
        if !newKeys.isEmpty {
            let place = runbooks.isEmpty ? "not written (the reports could not be written)" : "in \(Escaping.terminal(files.displayPath))/\(RunFolder.newHostKeysName)"
            Terminal.error("\(newKeys.count) node\(newKeys.count == 1 ? "" : "s") presented a host key known_hosts lacks (\(Escaping.terminal(FleetOverview.abbreviate(newKeys)))): "
                           + "their known_hosts lines are \(place); check the fingerprints, then append them to known_hosts, or audit once with --accept-new-host-keys")
        }
        // Quiet means "nothing to act on": a clean verdict under --fail-on, whatever lies below the threshold.
        let silent = quiet && verdict == .clean
        if !silent {
            if format.formats.contains(.table) {
                let color = Terminal.stdoutIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
                var text = TableRenderer(failOn: failOn, runbookLocation: runbooks.isEmpty ? nil : runbooks, color: color, showAll: all).render(report)
                if format.formats.contains(.html) { text = text.dropLast() + " · report: \(Escaping.terminal(files.displayPath))/report.html\n" }
                if matrix { text = MatrixRenderer(color: color).render(report) + text }
                print(text, terminator: "")
            } else if format.formats.contains(.json) {
                // In pieces, as report.json is written: the whole text of a fleet's report is megabytes.
                json.serialize { piece in print(piece, terminator: "") }
            } else if format.formats.contains(.mail) {
                // Ready to pipe into a mailer: the Subject: line first.
                print(MailRenderer(failOn: failOn).render(report), terminator: "")
            } else if format.formats.contains(.csv) {
                print(CSVRenderer().render(report), terminator: "")
            } else {
                // Only file formats asked for: the result line and where the files went, never nothing at all.
                let color = Terminal.stdoutIsTerminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
                let names = format.formats.compactMap(\.fileName).map { "\(files.displayPath)/\($0)" }.joined(separator: ", ")
                let location = runbooks.isEmpty || names.isEmpty ? "" : " · report: " + Escaping.terminal(names)
                print(TableRenderer(failOn: failOn, color: color).resultLine(report) + location)
            }
        }
        return verdict.exitCode
    }
}

