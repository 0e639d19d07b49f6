/// A compact encoding of memory for the explorer (issue 14): the page
/// entries and holder records as plain 64-bit words, written out of and
/// restored into a `Memory` whose blocks are the same (one declared from the
/// same setup), without allocating once its arrays have grown.
///
/// Words that decide the future (`hashed`) are kept apart from those that only
/// shape reports (`rest`: the line each holder record was first taken at), so
/// that a fingerprint of the hashed words identifies the same states the
/// explorer's earlier `Hasher` fingerprint did.
extension Memory {
  /// Whether `encode` can hold this memory: no holder list is long enough
  /// to be indexed (`Memory.longList` records on one folio).
  public var isCompactable: Bool { longLists.isEmpty }

  /// One entry as a word: bits, order, flags and extra references (the
  /// holder-list link is a pool index and is left out). O(1).
  @inline(__always)
  static func pack(_ e: PageEntry) -> UInt64 {
    UInt64(e.bits) | UInt64(e.order) << 8 | UInt64(e.flags.rawValue) << 16 | UInt64(e.extra) << 32
  }

  /// The most words `encode` writes: to `hashed`, and to `rest`.
  public var encodedBound: (hashed: Int, rest: Int) { (entries.count + 2 * holders.count + 2, holders.count) }

  /// Writes one word per page entry, the holder records (two words each,
  /// folio by folio in flat-index order, each list in acquisition order) and
  /// the LRU count from `hashed[h]` on, and each record's line from
  /// `rest[r]` on; advances both positions. Plain stores into buffers of
  /// `encodedBound` words (an append per word checked the array's
  /// uniqueness and capacity each time). O(pages + records). Requires `isCompactable`.
  public func encode(hashed: UnsafeMutablePointer<UInt64>, at h: inout Int, rest: UnsafeMutablePointer<UInt64>, at r: inout Int) {
    var records = false
    entries.withUnsafeBufferPointer { e in
      for i in e.indices {
        hashed[h + i] = Memory.pack(e[i])
        if e[i].holderHead >= 0 { records = true }
      }
    }
    h += entries.count
    let countAt = h
    h += 1
    var total: UInt64 = 0
    if records {
      for i in entries.indices where entries[i].holderHead >= 0 {
        var k = entries[i].holderHead
        while k >= 0 {
          let record = holders[Int(k)]
          hashed[h] = UInt64(i) << 40 | UInt64(record.kind.rawValue) << 32 | UInt64(UInt32(bitPattern: record.actor))
          hashed[h + 1] = UInt64(record.count)
          h += 2
          rest[r] = UInt64(bitPattern: Int64(record.line))
          r += 1
          total += 1
          k = record.next
        }
      }
    }
    hashed[countAt] = total
    hashed[h] = lruReferences
    h += 1
  }

  /// Restores what `encode` wrote, from `hashed[h...]` and `rest[r...]`;
  /// advances both positions past it. Pending changes are dropped (at rest
  /// between two events, a replay has none that could wake anyone).
  /// O(pages + records), no allocation once the arrays have grown.
  public mutating func decode(hashed: UnsafeBufferPointer<UInt64>, at h: inout Int, rest: UnsafeBufferPointer<UInt64>, at r: inout Int) {
    let first = h
    entries.withUnsafeMutableBufferPointer { e in
      for i in e.indices {
        let w = hashed[first + i]
        e[i] = PageEntry(
          bits: UInt8(truncatingIfNeeded: w), order: UInt8(truncatingIfNeeded: w >> 8),
          flags: FolioFlags(rawValue: UInt8(truncatingIfNeeded: w >> 16)), extra: UInt32(truncatingIfNeeded: w >> 32))
      }
    }
    h += entries.count
    let count = Int(hashed[h])
    h += 1
    // Emptied one by one: `removeAll(keepingCapacity:)` goes through the
    // generic `replaceSubrange` (about 85 instructions), and there are few.
    while holders.popLast() != nil {}
    freeHolder = -1
    var previous: Int32 = -1
    var previousFolio = -1
    for _ in 0..<count {
      let w = hashed[h]
      let folio = Int(w >> 40)
      let kind = HolderKind(rawValue: UInt8(truncatingIfNeeded: w >> 32))!
      let actor = Int32(bitPattern: UInt32(truncatingIfNeeded: w))
      let n = UInt32(truncatingIfNeeded: hashed[h + 1])
      h += 2
      let line = Int(Int64(bitPattern: rest[r]))
      r += 1
      let slot = Int32(holders.count)
      if folio != previousFolio { previous = -1 }
      holders.append(Holder(folio: folio, actor: actor, kind: kind, count: n, line: line, next: -1, previous: previous))
      if previous < 0 { entries[folio].holderHead = slot } else { holders[Int(previous)].next = slot }
      previous = slot
      previousFolio = folio
    }
    lruReferences = hashed[h]
    h += 1
    if changes.count > 8 { changes.removeAll(keepingCapacity: true) } else { while changes.popLast() != nil {} }
  }
}
