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

  /// Appends one word per page entry, the holder records (two words each,
  /// folio by folio in flat-index order, each list in acquisition order) and
  /// the LRU count to `hashed`, and each record's line to `rest`.
  /// O(pages + records). Requires `isCompactable`.
  public func encode(hashed: inout [UInt64], rest: inout [UInt64]) {
    var records = false
    let base = hashed.count
    // One bulk growth, then plain stores (an append per word checks the
    // buffer's uniqueness and capacity each time).
    hashed.append(contentsOf: repeatElement(0, count: entries.count + 1))
    hashed.withUnsafeMutableBufferPointer { out in
      entries.withUnsafeBufferPointer { e in
        for i in e.indices {
          out[base + i] = Memory.pack(e[i])
          if e[i].holderHead >= 0 { records = true }
        }
      }
    }
    let countAt = base + entries.count
    var total: UInt64 = 0
    if records {
      for i in entries.indices where entries[i].holderHead >= 0 {
        var h = entries[i].holderHead
        while h >= 0 {
          let r = holders[Int(h)]
          hashed.append(UInt64(i) << 40 | UInt64(r.kind.rawValue) << 32 | UInt64(UInt32(bitPattern: r.actor)))
          hashed.append(UInt64(r.count))
          rest.append(UInt64(bitPattern: Int64(r.line)))
          total += 1
          h = r.next
        }
      }
    }
    hashed[countAt] = total
    hashed.append(lruReferences)
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
