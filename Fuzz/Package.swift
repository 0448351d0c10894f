// swift-tools-version:6.0
// libFuzzer targets for cors-audit, one per entry point; kept out of the root package so its
// `swift build`/`swift test` never link libFuzzer. Build and run with scripts/fuzz.sh.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent.lowercased()

// The names match FuzzTarget's raw values; each target lives in Targets/<name>.
let names = [
    "splitter", "origin-list-numbered", "origin-list-finesse", "cors-status", "version",
    "service-list", "failure-marker", "vos-conversation", "apply-conversation", "inventory",
]

let package = Package(
    name: "cors-audit-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        // Declares libFuzzer's driver, which each target's main calls.
        .target(name: "CFuzzerDriver", path: "Targets/CFuzzerDriver"),
    ] + names.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: ["CFuzzerDriver", .product(name: "FuzzInvariants", package: rootIdentity)],
            path: "Targets/\(name)"
        )
    },
    swiftLanguageModes: [.v6]
)
