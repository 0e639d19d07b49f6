/// Interns names (actors, DMA ids, tags) straight from bytes: a lookup hashes
/// the bytes and compares them in place, so the hot path creates no `String`.
struct NameTable {
  private(set) var names: [String] = []
  private var bytes: [[UInt8]] = []
  /// Open addressing: slot -> index + 1 (0 = empty).
  private var slots: [Int32] = Array(repeating: 0, count: 64)

  var count: Int { names.count }

  private static func hash(_ p: UnsafeBufferPointer<UInt8>) -> Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in p {
      h = (h ^ UInt64(b)) &* 0x100_0000_01b3
    }
    return Int(truncatingIfNeeded: h)
  }

  /// The index of `name`, or nil.
  func find(_ name: UnsafeBufferPointer<UInt8>) -> Int32? {
    let mask = slots.count - 1
    var i = NameTable.hash(name) & mask
    while true {
      let s = slots[i]
      if s == 0 { return nil }
      let candidate = bytes[Int(s - 1)]
      if candidate.count == name.count && candidate.withUnsafeBufferPointer({ c in
        memcmp(c.baseAddress!, name.baseAddress!, name.count) == 0
      }) {
        return s - 1
      }
      i = (i + 1) & mask
    }
  }

  /// Adds a name that `find` did not find; returns its index.
  mutating func insert(_ name: UnsafeBufferPointer<UInt8>) -> Int32 {
    let index = Int32(names.count)
    bytes.append(Array(name))
    names.append(String(decoding: name, as: UTF8.self))
    if names.count * 2 > slots.count {
      slots = Array(repeating: 0, count: slots.count * 2)
      for (k, b) in bytes.enumerated() {
        b.withUnsafeBufferPointer { place(Int32(k), $0) }
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

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
