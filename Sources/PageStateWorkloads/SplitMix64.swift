/// SplitMix64: a small, fast, seedable generator, so a workload is the same
/// for the same seed on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  var state: UInt64

  public init(seed: UInt64) {
    state = seed
  }

  @inline(__always)
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in `0..<n` (n > 0); the slight modulo bias does not matter here.
  @inline(__always)
  public mutating func below(_ n: UInt64) -> UInt64 {
    next() % n
  }

  /// A percentage roll, 0..<100.
  @inline(__always)
  public mutating func percent() -> UInt64 {
    next() % 100
  }
}
