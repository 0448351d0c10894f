@preconcurrency import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// Waits for SIGINT, SIGTERM or (optionally) the end of standard input.
enum Termination {
    static func wait(onStdinEOF: Bool) async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let resumed = NIOLockedValueBox(false)
            let finish: @Sendable (String) -> Void = { reason in
                let first = resumed.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: reason) }
            }
            let queue = DispatchQueue(label: "vos-sim.signals")
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { finish(name) }
                source.resume()
                sources.append(source)
            }
            // The sources must outlive this scope; the process ends soon after anyway.
            Termination.keepAlive = sources
            if onStdinEOF {
                let thread = Thread {
                    // A blocking read on a thread of our own: stdin closing is the parent's exit.
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while read(0, &buffer, buffer.count) > 0 {}
                    finish("standard input closed")
                }
                thread.start()
            }
        }
    }

    // Written once, before any signal can arrive; only keeps the sources alive.
    nonisolated(unsafe) static var keepAlive: [DispatchSourceSignal] = []
}
