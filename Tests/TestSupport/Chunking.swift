/// How a peer's bytes are cut into reads: conversations must give the same result in every chunking.
public enum Chunking: Sendable, CustomStringConvertible {
    case whole
    case bytes
    case random(seed: UInt64)

    public static let all: [Chunking] = [.whole, .bytes, .random(seed: 1), .random(seed: 2), .random(seed: 42),
                                         .random(seed: 0xC0FFEE), .random(seed: 8_675_309)]

    public var description: String {
        switch self {
        case .whole: "whole"
        case .bytes: "one byte at a time"
        case .random(let seed): "random chunks, seed \(seed)"
        }
    }
}

/// SplitMix64: a fixed-seed generator so random chunkings repeat on every machine.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The lengths of successive reads in one chunking.
public struct ReadLengths {
    public let chunking: Chunking
    private var rng: SplitMix64

    public init(_ chunking: Chunking) {
        self.chunking = chunking
        if case .random(let seed) = chunking { rng = SplitMix64(state: seed) } else { rng = SplitMix64(state: 0) }
    }

    /// How many of `available` bytes the next read takes (at least 1 when any are available).
    public mutating func next(available: Int) -> Int {
        switch chunking {
        case .whole: return available
        case .bytes: return min(1, available)
        case .random:
            // Mostly small reads, sometimes large ones, like a network.
            let n = Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 1...400, using: &rng) : Int.random(in: 1...9, using: &rng)
            return min(n, available)
        }
    }

    /// `bytes` cut into reads.
    public mutating func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var i = 0
        while i < bytes.count {
            let n = next(available: bytes.count - i)
            pieces.append(bytes[i..<(i + n)])
            i += n
        }
        return pieces
    }
}
