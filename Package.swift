// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cors-audit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cors-audit", targets: ["cors-audit"]),
        .library(name: "AuditCore", targets: ["AuditCore"]),
        // For the libFuzzer package in Fuzz/, which builds these with -sanitize=fuzzer.
        .library(name: "CLIParsers", targets: ["CLIParsers"]),
        .library(name: "VOSShell", targets: ["VOSShell"]),
        .library(name: "FuzzInvariants", targets: ["FuzzInvariants"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // vos-sim: an SSH server (swift-nio-ssh) with an AES-CTR transport (swift-crypto's _CryptoExtras).
        .package(url: "https://github.com/apple/swift-nio-ssh", from: "0.15.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        // History: runs recorded in an embedded SQLite database.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // Prober: the browser's CORS preflight over HTTPS; vos-sim: the HTTPS side of each node and its CA.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
    ],
    targets: [
        // libssh2 from the system (Debian: libssh2-1-dev); shim.h wraps the function-like macros.
        .systemLibrary(
            name: "CLibssh2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]
        ),
        // The only importer of CLibssh2.
        .target(name: "SSHClient", dependencies: ["CLibssh2", "CFileSync"]),
        // The VOS CLI conversation as a pure state machine over bytes.
        .target(name: "VOSShell"),
        // One parser per VOS command; pure text in, typed values out.
        .target(name: "CLIParsers", dependencies: ["VOSShell"]),
        // Inventory, expected origins, findings, remediation, report model (no I/O but reading the inventory file).
        .target(name: "AuditCore", dependencies: [
            "CLIParsers",
            .product(name: "Yams", package: "Yams"),
        ]),
        // The checks each fuzz target makes on one input; shared by the fuzzers (Fuzz/) and the corpus replay tests.
        .target(name: "FuzzInvariants", dependencies: ["CLIParsers", "VOSShell", "AuditCore"]),
        // Every renderer to text (no I/O): audit reports, runbooks, apply records, drift and the history listing.
        .target(name: "Reports", dependencies: ["AuditCore", "History"]),
        // Every audit run recorded in SQLite (GRDB), and the drift between two recorded runs.
        .target(name: "History", dependencies: [
            "AuditCore", "CLIParsers",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // The browser's CORS preflight against each web endpoint over HTTPS; knows nothing of SSH.
        .target(name: "Prober", dependencies: [
            "CFileSync",
            "AuditCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Runs many nodes at once over SSH and hands their command outputs to the core.
        .target(name: "Collector", dependencies: [
            "SSHClient", "VOSShell", "AuditCore", "CLIParsers",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // syncfs(2), which Swift's Glibc module does not export: one sync for a run folder's many files.
        .target(name: "CFileSync"),
        // One audit run stage by stage (collect → audit → probe → record), its observation sources, and the run folder.
        .target(name: "Pipeline", dependencies: [
            "AuditCore", "Collector", "Prober", "History", "Reports", "CFileSync",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Argument parsing, the terminal, and wiring; the work is in the libraries.
        .executableTarget(name: "cors-audit", dependencies: [
            "AuditCore", "Collector", "CLIParsers", "Reports",
            "History", "Prober", "Pipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "CLIParsersTests", dependencies: ["CLIParsers", "FuzzInvariants"],
                    resources: [.copy("Golden"), .copy("FuzzRegressions")]),
        .testTarget(name: "VOSShellTests", dependencies: ["VOSShell", "TestSupport"]),
        // Replays the committed fuzz corpus (Fuzz/Corpus) through every target's invariant checks.
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzInvariants"]),
        .testTarget(name: "AuditCoreTests", dependencies: ["AuditCore", "CLIParsers", "FuzzInvariants", "Reports", "TestSupport"],
                    resources: [.copy("Golden"), .copy("FuzzRegressions")]),
        // What the test targets share: the package root, built products, bounded child processes, vos-sim started for a
        // test, real OpenSSH sshd servers on loopback.
        .target(name: "TestSupport", dependencies: ["AuditCore", "VOSSimulator"], path: "Tests/TestSupport"),
        .testTarget(name: "SSHClientTests", dependencies: ["SSHClient", "TestSupport"]),
        .testTarget(name: "CollectorTests", dependencies: ["Collector", "AuditCore", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "AuditCore", "VOSSimulator", "TestSupport"], resources: [.copy("Golden")]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "AuditCore", "Reports", "VOSSimulator", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["AuditCore", "cors-audit", "vos-sim", "VOSSimulator", "TestSupport"]),
        // Records one run and can stop inside its transaction, for the killed-writer test.
        .executableTarget(name: "history-test-writer", dependencies: ["History", "AuditCore"], path: "Tests/HistoryTestWriter"),
        .testTarget(name: "HistoryTests", dependencies: [
            "History", "AuditCore", "CLIParsers", "Reports", "history-test-writer", "cors-audit", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ], exclude: ["Golden"]),
        // A simulated fleet of VOS nodes over real SSH; shares AuditCore's inventory data, never the client's logic.
        .target(name: "VOSSimulator", dependencies: [
            "AuditCore", "CFileSync",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSH", package: "swift-nio-ssh"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
        ], exclude: ["README.md"]),
        .executableTarget(name: "vos-sim", dependencies: [
            "VOSSimulator", "AuditCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // `make browser-check`: headless Chromium and the probe's judge on the same vos-sim answers, compared.
        .executableTarget(name: "browser-check", dependencies: [
            "VOSSimulator", "Prober", "AuditCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .testTarget(name: "VOSSimulatorTests", dependencies: [
            "VOSSimulator", "AuditCore", "SSHClient", "vos-sim", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSH", package: "swift-nio-ssh"),
        ]),
        // The fault matrix (cors-audit against vos-sim, one node per fault) and the load test
        // (the Collector in-process against a 1000-node vos-sim fleet with random faults).
        .testTarget(name: "FaultMatrixTests", dependencies: ["AuditCore", "Collector", "cors-audit", "vos-sim", "TestSupport"]),
        // remediate --apply: the pure apply conversation, and end to end over SSH against vos-sim.
        // The preflight judge on field captures, the prober against vos-sim over TLS, probe end to end.
        .testTarget(name: "ProberTests", dependencies: ["Prober", "AuditCore", "Reports", "VOSSimulator", "cors-audit", "TestSupport"]),
        .testTarget(name: "ApplyTests", dependencies: ["VOSShell", "Collector", "AuditCore", "VOSSimulator", "cors-audit", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
