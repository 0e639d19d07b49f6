/// The explorer's visited set (issue 14): a flat open-addressing table of
/// 64-bit state fingerprints, each with the sleep set its state was explored
/// with, probed linearly.
///
/// Memory: 16 bytes a slot (fingerprint and sleep set side by side, one
/// cache line per probe), at most 3/4 full, and doubled when it would be
/// fuller: between 21 and 43 bytes per state. A `Dictionary<Int, UInt64>`
/// (the explorer's earlier set) costs about 40 bytes a state with its
/// metadata and rehashes through the generic hashing path.
///
/// Fingerprint 0 marks an empty slot; a state hashing to 0 is stored as 1.
public struct FingerprintSet: Sendable {
  /// Fingerprint and sleep set of each slot.
  var slots: [(key: UInt64, sleep: UInt64)]
  var mask: Int
  public private(set) var count = 0

  /// A table of at least `capacity` slots (a power of two, at least 1,024).
  public init(capacity: Int = 1 << 16) {
    var n = 1024
    while n < capacity { n <<= 1 }
    slots = Array(repeating: (0, 0), count: n)
    mask = n - 1
  }

  /// Bytes the table holds now.
  public var bytes: UInt64 { UInt64(slots.count) * 16 }

  /// Bytes the table will hold after its next growth.
  public var bytesAfterGrowth: UInt64 { bytes * 2 }

  /// Whether the next insertion of a new fingerprint grows the table.
  public var isFull: Bool { (count + 1) * 4 > slots.count * 3 }

  @inline(__always)
  static func normalized(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

  /// Inserts `key` with `sleep` if absent (returns nil), or returns the
  /// sleep set it is stored with. Amortized O(1); grows when 3/4 full.
  @inline(__always)
  public mutating func insert(_ key: UInt64, sleep: UInt64) -> UInt64? {
    let k = FingerprintSet.normalized(key)
    if isFull { grow() }
    var i = Int(truncatingIfNeeded: k >> 7) & mask
    while true {
      let s = slots[i].key
      if s == k { return slots[i].sleep }
      if s == 0 {
        slots[i] = (k, sleep)
        count += 1
        return nil
      }
      i = (i + 1) & mask
    }
  }

  /// Replaces the sleep set stored with `key` (which is present). O(1) expected.
  public mutating func update(_ key: UInt64, sleep: UInt64) {
    let k = FingerprintSet.normalized(key)
    var i = Int(truncatingIfNeeded: k >> 7) & mask
    while slots[i].key != k { i = (i + 1) & mask }
    slots[i].sleep = sleep
  }

  /// Doubles the table and reinserts every entry. O(count).
  mutating func grow() {
    let old = slots
    let n = old.count * 2
    slots = Array(repeating: (0, 0), count: n)
    mask = n - 1
    for (k, sleep) in old where k != 0 {
      var i = Int(truncatingIfNeeded: k >> 7) & mask
      while slots[i].key != 0 { i = (i + 1) & mask }
      slots[i] = (k, sleep)
    }
  }
}

/// A 64-bit hash of words, for fingerprints: each word is mixed into the
/// state with a multiply and shifts (the finalizer of MurmurHash3's 64-bit
/// variant), which spreads every input bit over the whole result. O(words).
struct WordHasher {
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15

  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x
    z ^= z >> 33
    z &*= 0xFF51_AFD7_ED55_8CCD
    z ^= z >> 33
    z &*= 0xC4CE_B9FE_1A85_EC53
    z ^= z >> 33
    return z
  }

  @inline(__always)
  mutating func combine(_ w: UInt64) {
    state = WordHasher.mix(state ^ w) &+ 0x9E37_79B9_7F4A_7C15
  }

  @inline(__always)
  func finalize() -> UInt64 { WordHasher.mix(state) }
}
