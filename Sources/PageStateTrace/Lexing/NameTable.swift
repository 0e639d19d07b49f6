/// Interns names (actors, DMA ids, tags) straight from bytes: a lookup hashes
/// the bytes and compares them in place, so the hot path creates no `String`.
///
/// The bytes of all names live in one flat array (name k at
/// `bytes[offsets[k]..<offsets[k + 1]]`), so a lookup touches no nested array
/// and does no reference counting.
struct NameTable {
  private(set) var names: [String] = []
  private var bytes: [UInt8] = []
  private var offsets: [Int] = [0]
  /// Open addressing: slot -> index + 1 (0 = empty).
  private var slots: [Int32] = Array(repeating: 0, count: 64)

  var count: Int { names.count }

  @inline(__always)
  private static func hash(_ p: UnsafeBufferPointer<UInt8>) -> Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in p {
      h = (h ^ UInt64(b)) &* 0x100_0000_01b3
    }
    return Int(truncatingIfNeeded: h ^ (h >> 29))
  }

  /// The index of `name`, or nil.
  func find(_ name: UnsafeBufferPointer<UInt8>) -> Int32? {
    let n = name.count
    return slots.withUnsafeBufferPointer { slots in
      offsets.withUnsafeBufferPointer { offsets in
        bytes.withUnsafeBufferPointer { bytes in
          let mask = slots.count - 1
          var i = NameTable.hash(name) & mask
          while true {
            let s = Int(slots[i])
            if s == 0 { return nil }
            let start = offsets[s - 1]
            if offsets[s] - start == n {
              var k = 0
              while k < n && bytes[start + k] == name[k] { k += 1 }
              if k == n { return Int32(s - 1) }
            }
            i = (i + 1) & mask
          }
        }
      }
    }
  }

  /// Adds a name that `find` did not find; returns its index.
  mutating func insert(_ name: UnsafeBufferPointer<UInt8>) -> Int32 {
    let index = Int32(names.count)
    bytes.append(contentsOf: name)
    offsets.append(bytes.count)
    names.append(String(decoding: name, as: UTF8.self))
    if names.count * 2 > slots.count {
      slots = Array(repeating: 0, count: slots.count * 2)
      for k in 0..<names.count {
        bytes.withUnsafeBufferPointer { all in
          place(Int32(k), UnsafeBufferPointer(rebasing: all[offsets[k]..<offsets[k + 1]]))
        }
      }
    } else {
      place(index, name)
    }
    return index
  }

  private mutating func place(_ index: Int32, _ name: UnsafeBufferPointer<UInt8>) {
    let mask = slots.count - 1
    var i = NameTable.hash(name) & mask
    while slots[i] != 0 { i = (i + 1) & mask }
    slots[i] = index + 1
  }
}
