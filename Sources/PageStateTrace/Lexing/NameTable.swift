/// Interns names (actors, DMA ids, tags) straight from bytes: a lookup hashes
/// the bytes and compares them in place, so the hot path creates no `String`.
///
/// A name of up to 16 bytes is also kept packed into two words: looking one
/// up packs the bytes, hashes the two words and compares them, with no loop
/// over the bytes of the candidate. Longer names are compared byte by byte
/// against one flat array holding every name (name k at
/// `bytes[offsets[k]..<offsets[k + 1]]`).
struct NameTable {
  private(set) var names: [String] = []
  private var bytes: [UInt8] = []
  private var offsets: [Int] = [0]
  /// Per name: its bytes packed little-endian (first 8, next 8) and its length.
  private var packed: [(UInt64, UInt64, Int)] = []
  /// Open addressing: slot -> index + 1 (0 = empty).
  private var slots: [Int32] = Array(repeating: 0, count: 64)

  var count: Int { names.count }

  @inline(__always)
  private static func hash(_ key: (UInt64, UInt64, Int)) -> Int {
    let h = (key.0 &* 0x9E37_79B9_7F4A_7C15) ^ ((key.1 &+ UInt64(key.2)) &* 0xC2B2_AE3D_27D4_EB4F)
    return Int(truncatingIfNeeded: h >> 32)
  }

  @inline(__always)
  private static func hash(_ p: UnsafeBufferPointer<UInt8>) -> Int {
    if p.count <= 16 { return hash(LineBytes.pack(p)) }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in p {
      h = (h ^ UInt64(b)) &* 0x100_0000_01b3
    }
    return Int(truncatingIfNeeded: h ^ (h >> 29))
  }

  /// The index of `name`, or nil.
  func find(_ name: UnsafeBufferPointer<UInt8>) -> Int32? {
    let n = name.count
    if n <= 16 { return find(packed: LineBytes.pack(name)) }
    return findLong(name)
  }

  /// The index of a name of at most 16 bytes given packed (`LineBytes.packed`).
  func find(packed key: (UInt64, UInt64, Int)) -> Int32? {
      return slots.withUnsafeBufferPointer { slots in
        packed.withUnsafeBufferPointer { packed in
          let mask = slots.count - 1
          var i = NameTable.hash(key) & mask
          while true {
            let s = Int(slots[i])
            if s == 0 { return nil }
            let k = packed[s - 1]
            if k.0 == key.0 && k.1 == key.1 && k.2 == key.2 { return Int32(s - 1) }
            i = (i + 1) & mask
          }
        }
      }
  }

  private func findLong(_ name: UnsafeBufferPointer<UInt8>) -> Int32? {
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
    // Names over 16 bytes never match a packed key: their length is > 16.
    packed.append(name.count <= 16 ? LineBytes.pack(name) : (0, 0, name.count))
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
