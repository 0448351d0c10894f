// `make browser-check`: asks a real headless Chromium and the probe's judge the same question — does the gadget's
// call from a Finesse origin get through? — for vos-sim nodes that answer in every way the judge tells apart, with
// cookies included and omitted, and fails unless both agree on every one. It also compares the preflight Chromium sent
// with the one the probe sends, as the nodes received them.
import AuditCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Prober
import VOSSimulator

let domain = "uccelab.tac"
let pageHost = "finessep.\(domain)"
/// The list the answers come from (every behaviour lets the page's origin in through it, but `field-refused`).
let lacking = "field-refused"

struct Options {
    var chromium: String?
    var keep = false
    var verbose = false

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--chromium" where i + 1 < args.count: o.chromium = args[i + 1]; i += 1
            case "--keep": o.keep = true
            case "--verbose", "-v": o.verbose = true
            case "-h", "--help":
                print("usage: browser-check [--chromium PATH] [--keep] [--verbose]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("browser-check: unknown argument \(args[i])\n".utf8))
                exit(64)
            }
            i += 1
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("browser-check: \(message)\n".utf8))
    exit(2)
}

func findChromium(_ given: String?) -> String? {
    if let given { return FileManager.default.isExecutableFile(atPath: given) ? given : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
    }
    return nil
}

/// Serves the Finesse-origin page and takes its results: the only web server here that is not vos-sim.
final class PageHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let page: NIOLockedValueBox<String>
    let results: EventLoopPromise<String>
    var head: HTTPRequestHead?
    var body = ""

    init(page: NIOLockedValueBox<String>, results: EventLoopPromise<String>) { self.page = page; self.results = results }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h; body = ""
        case .body(var b): body += b.readString(length: b.readableBytes) ?? ""
        case .end:
            guard let head else { return }
            var status = HTTPResponseStatus.ok
            var text = "ok"
            var type = "text/plain"
            if head.method == .GET, head.uri.hasPrefix("/check.html") {
                text = page.withLockedValue { $0 }
                type = "text/html; charset=utf-8"
            } else if head.method == .POST, head.uri == "/result" {
                results.succeed(body)
            } else {
                status = .notFound
                text = "not found"
            }
            var headers = HTTPHeaders([("content-type", type), ("content-length", String(text.utf8.count)), ("connection", "close")])
            headers.add(name: "cache-control", value: "no-store")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

struct Check {
    var id: String
    var node: String
    var behaviour: String
    var credentials: GadgetRequest.Credentials
    var target: String
    var url: String
}

func html(_ checks: [Check]) -> String {
    let headers = GadgetRequest.gadget.headers
    // The gadget's call: the profile's headers with plausible values (a JSON Content-Type is not CORS-safelisted).
    let values = ["authorization": "Bearer browser-check", "content-type": "application/json", "x-requested-with": "XMLHttpRequest"]
    let headerJSON = headers.map { "\"\($0)\": \"\(values[$0] ?? "1")\"" }.joined(separator: ", ")
    let cases = checks.map { "{\"id\": \"\($0.id)\", \"url\": \"\($0.url)\", \"credentials\": \"\($0.credentials.rawValue)\"}" }
        .joined(separator: ",\n  ")
    return """
    <!doctype html><html><head><title>browser-check</title></head><body><pre id="out">running</pre><script>
    const cases = [
      \(cases)
    ];
    (async () => {
      const out = {};
      for (const c of cases) {
        try {
          await fetch(c.url, {method: "\(GadgetRequest.gadget.method)", mode: "cors", credentials: c.credentials, cache: "no-store",
                              headers: {\(headerJSON)}});
          out[c.id] = "allowed";
        } catch (e) {
          out[c.id] = "rejected";
        }
      }
      document.getElementById("out").textContent = JSON.stringify(out);
      await fetch("/result", {method: "POST", body: JSON.stringify(out)});
    })();
    </script></body></html>
    """
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
guard let chromium = findChromium(options.chromium) else {
    fail("no Chromium found (install Debian's `chromium` package, or give --chromium PATH)")
}
let work = FileManager.default.temporaryDirectory.appendingPathComponent("browser-check-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { if !options.keep { try? FileManager.default.removeItem(at: work) } }

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let ca = try SimulatorCA()
let page = NIOLockedValueBox("")
let resultPromise = group.next().makePromise(of: String.self)
let pageContext = try ca.serverContext(host: pageHost)
let pageChannel = try await ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 64)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: pageContext))
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(PageHandler(page: page, results: resultPromise))
        }
    }
    .bind(host: "127.0.0.1", port: 0).get()
let pagePort = pageChannel.localAddress!.port!
let pageOrigin = "https://\(pageHost):\(pagePort)"

// One CUIC node per behaviour, each list holding the page's origin; one more whose list lacks it (the field's 403).
let behaviours = PreflightBehaviour.allCases.map(\.rawValue) + [lacking]
func host(_ behaviour: String) -> String { "\(behaviour.replacingOccurrences(of: "_", with: "-")).\(domain)" }
var inventory = """
version: 1
defaults:
  username: admin
  password_env: VOS_PASSWORD
clusters:
  - name: browser-check
    finesse:
      - host: \(pageHost)
    cuic:

"""
var state = "nodes:\n"
for (i, behaviour) in behaviours.enumerated() {
    inventory += "      - host: \(host(behaviour))\n        role: \(i == 0 ? "publisher" : "subscriber")\n"
    let origins = behaviour == lacking ? ["https://finesses.\(domain):8445"] : ["https://finesses.\(domain):8445", pageOrigin]
    // `fixed_origin` answers with the list's first entry: the other Finesse origin.
    state += """
      \(host(behaviour)):
        version: 12.6.2.10000-19
        lists: {cuic: {status: enabled, origins: [\(origins.joined(separator: ", "))]}}
        preflight: \(behaviour == lacking ? "field" : behaviour)

    """
}
let inventoryPath = work.appendingPathComponent("inventory.yaml").path
let statePath = work.appendingPathComponent("state.yaml").path
try inventory.write(toFile: inventoryPath, atomically: true, encoding: .utf8)
try state.write(toFile: statePath, atomically: true, encoding: .utf8)
let fleet: SimulatedFleet
do {
    let loaded = try InventoryLoader.load(path: inventoryPath)
    let definitions = try StateFile.load(path: statePath, inventory: loaded)
    fleet = try await SimulatedFleet.start(inventory: loaded, nodes: definitions, options: .init(password: "browser-check", threads: 1))
} catch {
    fail("cannot start the simulated nodes: \(error)")
}
let caPath = work.appendingPathComponent("ca.pem").path
try fleet.caPEM.write(toFile: caPath, atomically: true, encoding: .utf8)

var checks: [Check] = []
for behaviour in behaviours {
    guard let node = fleet.node(host(behaviour)), let port = node.httpsPorts[8444] else { fail("\(host(behaviour)): no HTTPS port") }
    for credentials in [GadgetRequest.Credentials.include, .omit] {
        let id = "\(behaviour)/\(credentials.rawValue)"
        // A URL of its own per check: no preflight cache entry is shared between checks.
        let target = "\(ReleaseProfiles.cuicPath)?check=\(id)"
        checks.append(Check(id: id, node: node.host, behaviour: behaviour, credentials: credentials, target: target,
                            url: "https://\(node.host):\(port)\(target)"))
    }
}
page.withLockedValue { $0 = html(checks) }

// Chromium: its own profile folder, every name of the lab resolved to loopback, the test CA's leaves accepted.
let chrome = Process()
chrome.executableURL = URL(fileURLWithPath: chromium)
chrome.arguments = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--ignore-certificate-errors", "--host-resolver-rules=MAP *.\(domain) 127.0.0.1",
    "--user-data-dir=\(work.appendingPathComponent("profile").path)",
    "\(pageOrigin)/check.html",
]
let chromeLog = FileHandle(forWritingAtPath: "/dev/null")
chrome.standardOutput = chromeLog
chrome.standardError = options.verbose ? FileHandle.standardError : chromeLog
try chrome.run()
let deadline = group.next().scheduleTask(in: .seconds(90)) { resultPromise.fail(ChannelError.connectTimeout(.seconds(90))) }
let browserJSON: String
do { browserJSON = try await resultPromise.futureResult.get() } catch {
    chrome.terminate()
    fail("Chromium sent no results within 90 s (run with --verbose to see its log)")
}
deadline.cancel()
chrome.terminate()
chrome.waitUntilExit()
guard let browser = try JSONSerialization.jsonObject(with: Data(browserJSON.utf8)) as? [String: String] else {
    fail("Chromium's results are not a JSON object: \(browserJSON)")
}

// What Chromium sent, as the nodes received it, before the probe adds its own preflights.
var chromiumSent: [String: (method: String?, headers: String?)] = [:]
for node in fleet.nodes {
    for p in node.preflightsReceived { chromiumSent[p.path] = (p.requestMethod, p.requestHeaders) }
}

let prober = PreflightProber(options: .init(caFile: caPath))
var rows: [[String]] = []
var disagreements = 0
var requestMismatches: [String] = []
for check in checks {
    let request = GadgetRequest(method: GadgetRequest.gadget.method, headers: GadgetRequest.gadget.headers, credentials: check.credentials)
    let probeURL = check.url + "&by=probe"
    let verdict = await prober.preflight(url: probeURL, address: "127.0.0.1", origin: pageOrigin, request: request)
    let got = browser[check.id] ?? "missing"
    let agree = verdict.outcome.rawValue == got
    if !agree { disagreements += 1 }
    rows.append([check.behaviour, check.credentials.rawValue, got, verdict.outcome.rawValue,
                 verdict.refusal?.rule.rawValue ?? "-", agree ? "yes" : "NO"])
    // The preflight the probe sent, next to Chromium's for the same check (Chromium's path has no `&by=probe`).
    let path = check.target
    let probeSent = fleet.nodes.flatMap(\.preflightsReceived).last { $0.path == path + "&by=probe" }
    if let c = chromiumSent[path], let p = probeSent, c.method != p.requestMethod || c.headers != p.requestHeaders {
        requestMismatches.append("\(check.id): Chromium sent \(c.method ?? "-") / \(c.headers ?? "-"), the probe \(p.requestMethod ?? "-") / \(p.requestHeaders ?? "-")")
    } else if chromiumSent[path] == nil && verdict.outcome != .error {
        // Chromium sends no preflight only when it refuses before asking, which none of these calls allows.
        requestMismatches.append("\(check.id): Chromium sent no preflight")
    }
}

let titles = ["behaviour", "credentials", "Chromium", "judge", "judge's rule", "agree"]
let widths = titles.indices.map { i in max(titles[i].count, rows.map { $0[i].count }.max() ?? 0) }
func line(_ cells: [String]) -> String {
    "| " + cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
}
func chromiumVersion(_ path: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = ["--version"]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle(forWritingAtPath: "/dev/null")
    guard (try? p.run()) != nil else { return "?" }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
print("browser-check: \(chromiumVersion(chromium)), page origin \(pageOrigin), the gadget's call: \(GadgetRequest.gadget.method) with \(GadgetRequest.gadget.requestHeadersValue ?? "no extra headers")")
print(line(titles))
print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
for row in rows { print(line(row)) }
let sample = chromiumSent.values.first
print("preflight as Chromium sent it: Access-Control-Request-Method: \(sample?.method ?? "-"), Access-Control-Request-Headers: \(sample?.headers ?? "-")")
for m in requestMismatches { print("REQUEST DIFFERS: \(m)") }
try? await pageChannel.close()
try? await fleet.shutdown()
try? await group.shutdownGracefully()
if disagreements > 0 || !requestMismatches.isEmpty {
    print("FAILED: \(disagreements) of \(rows.count) verdicts differ, \(requestMismatches.count) preflight requests differ")
    exit(1)
}
print("OK: the judge and Chromium agree on all \(rows.count) checks; the probe's preflight is Chromium's")
