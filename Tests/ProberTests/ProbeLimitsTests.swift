import Foundation
@testable import Prober
import Testing
import TestSupport

/// The probe within the process's open-file limit, as the SSH side.
@Suite(.serialized) struct ProbeLimitsTests {
    @Test func theProbeRaisesALowSoftOpenFileLimitAndHoldsOneSocketPerNode() async throws {
        try await withLab { lab in
            // Soft limit 14 (the hard one stays): before, every endpoint's kept-alive connection stayed open and the run
            // ended with "Too many open files" preflights and even its report unwritten.
            let r = try runProcess("/bin/sh", ["-c", "ulimit -Sn 14 && exec \"$0\" \"$@\"", product("cors-audit"), "probe",
                                               "--inventory", lab.inventoryPath, "--ca-file", lab.caFile, "--no-history",
                                               "--output", lab.directory + "/lowlimit"], timeout: .seconds(120))
            #expect(r.status == 1, "stdout: \(r.stdout)\nstderr: \(r.stderr)")
            #expect(r.stdout.contains("30 preflights: 22 allowed, 8 refused, 0 without an answer"), "stdout: \(r.stdout)")
            #expect(!r.stdout.contains("Too many open files") && !r.stderr.contains("Too many open files"))
        }
    }

    @Test func theDefaultConcurrencyIsCapped() {
        #expect(PreflightProber.defaultConcurrency == 64)
        #expect(PreflightProber.concurrency(asked: nil, nodes: 1000) == 64)
        #expect(PreflightProber.concurrency(asked: nil, nodes: 3) == 3)
        #expect(PreflightProber.concurrency(asked: 200, nodes: 1000) == min(200, (OpenFileLimit.raised - 64) / 2))
        // Raised to the hard limit, as the SSH side does.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        #expect(limit.rlim_cur == limit.rlim_max || OpenFileLimit.raised == Int(limit.rlim_cur))
    }
}
