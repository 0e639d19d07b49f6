/// A map from page frame numbers to small integers: open addressing over
/// flat arrays, linear probing, grown at half load. Memory is proportional
/// to the pages stored, wherever they lie in the 52-bit pfn space; a lookup
/// is a multiply and one or two probes (no `Dictionary` per event).
struct PageTable {
  var keys: [UInt64]  // pfn + 1; 0 is empty
  var values: [Int32]
  var count = 0
  var mask: Int

  init(capacity: Int = 1024) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    keys = [UInt64](repeating: 0, count: size)
    values = [Int32](repeating: 0, count: size)
    mask = size - 1
  }

  @inline(__always)
  static func slot(_ key: UInt64, _ mask: Int) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
  }

  subscript(pfn: UInt64) -> Int32? {
    let key = pfn &+ 1
    var s = PageTable.slot(key, mask)
    while true {
      let k = keys[s]
      if k == key { return values[s] }
      if k == 0 { return nil }
      s = (s + 1) & mask
    }
  }

  mutating func set(_ pfn: UInt64, _ value: Int32) {
    if (count + 1) * 2 > keys.count { grow() }
    let key = pfn &+ 1
    var s = PageTable.slot(key, mask)
    while true {
      let k = keys[s]
      if k == key {
        values[s] = value
        return
      }
      if k == 0 {
        keys[s] = key
        values[s] = value
        count += 1
        return
      }
      s = (s + 1) & mask
    }
  }

  /// Removes a key (backward-shift deletion keeps probing sequences intact).
  mutating func remove(_ pfn: UInt64) {
    let key = pfn &+ 1
    var s = PageTable.slot(key, mask)
    while true {
      let k = keys[s]
      if k == 0 { return }
      if k == key { break }
      s = (s + 1) & mask
    }
    var hole = s
    var next = (s + 1) & mask
    while keys[next] != 0 {
      let home = PageTable.slot(keys[next], mask)
      // Move the entry back if its home is not in (hole, next].
      let between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
      if !between {
        keys[hole] = keys[next]
        values[hole] = values[next]
        hole = next
      }
      next = (next + 1) & mask
    }
    keys[hole] = 0
    count -= 1
  }

  mutating func grow() {
    let oldKeys = keys
    let oldValues = values
    keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
    values = [Int32](repeating: 0, count: oldKeys.count * 2)
    mask = keys.count - 1
    count = 0
    for (i, k) in oldKeys.enumerated() where k != 0 { set(k - 1, oldValues[i]) }
  }
}
