import PageStateTrace

/// Pages and folios: from pointers to pfns, the `memory` statements, the
/// references the importer has seen taken.
extension KernelTraceImporter {
  /// The pfn of a `struct page`/`struct folio` pointer:
  /// `(pointer - vmemmap_base) / sizeof(struct page)`. `vmemmap_base` comes
  /// from `--vmemmap`, a `vmemmap=` field, or, without either, the value of
  /// a kernel booted with `nokaslr` (4- or 5-level paging) when the pointer
  /// lies in its range.
  func pfn(pointer: UInt64) -> UInt64? {
    var base = vmemmap
    if base == nil {
      if pointer >> 44 == 0xffd40 {
        base = 0xffd4_0000_0000_0000  // 5-level paging, nokaslr
      } else if pointer >> 40 == 0xffffea {
        base = 0xffff_ea00_0000_0000  // 4-level paging, nokaslr
      }
    }
    guard let base, pointer >= base else { return nil }
    let pfn = (pointer - base) / options.structPageSize
    return pfn < TraceReader.Limits.pageNumberLimit ? pfn : nil
  }

  /// Notes `vmemmap=` when a line has it.
  func noteVmemmap(_ p: UnsafeBufferPointer<UInt8>) {
    if options.vmemmap == nil, let v = fields.number(p, "vmemmap"), v != 0 { vmemmap = v }
  }

  /// What the event's own fields say of the folio of the page at `pointer`:
  /// `head=1 order=K` (the pointer is a large folio's head), or a tail's
  /// `chead=` (odd: the head's address + 1) with `torder=K`.
  func shape(_ p: UnsafeBufferPointer<UInt8>, pfn: UInt64) -> (head: UInt64, order: UInt8)? {
    if let h = fields.number(p, "head") {
      // A folio's head is aligned to its size: a field that says otherwise is not believed.
      if h == 1, let k = fields.number(p, "order"), k > 0, k <= UInt64(TraceReader.Limits.maxOrder), pfn & ((1 << k) - 1) == 0 {
        return (pfn, UInt8(k))
      }
      if h == 0, let c = fields.number(p, "chead"), c & 1 == 1, let head = self.pfn(pointer: c - 1),
        let k = fields.number(p, "torder"), k > 0, k <= UInt64(TraceReader.Limits.maxOrder), head <= pfn, pfn - head < 1 << k,
        head & ((1 << k) - 1) == 0
      {
        return (head, UInt8(k))
      }
      return h == 0 ? (pfn, 0) : nil
    }
    return nil
  }

  /// Backing from a `mapping=` field: bit 0 set is anonymous (PAGE_MAPPING_ANON), else a file's.
  func anonymous(_ p: UnsafeBufferPointer<UInt8>) -> Bool? {
    guard let m = fields.number(p, "mapping"), m != 0 else { return nil }
    return m & 1 == 1
  }

  /// The folio holding `pfn`, declared with a `memory` statement the first
  /// time: at the shape the event says, else the compound allocation seen
  /// for it, else order 0.
  func folio(_ pfn: UInt64, shape: (head: UInt64, order: UInt8)? = nil, anonymous anon: Bool? = nil, time: UInt64) throws(TraceError) -> Int32 {
    if let f = folioOfPage[pfn] {
      if let s = shape, s.order != folios[Int(f)].order || s.head != folios[Int(f)].head {
        summary.reshaped += 1
      }
      return f
    }
    var head = pfn
    var order: UInt8 = 0
    if let s = shape {
      (head, order) = s
    } else {
      var k: UInt64 = 1
      while k <= UInt64(TraceReader.Limits.maxOrder) {
        let h = pfn & ~((1 << k) - 1)
        if let o = allocatedOrder[h], UInt64(o) == k {
          head = h
          order = UInt8(k)
          break
        }
        k += 1
      }
    }
    // A shape that would overlap a folio already declared is not kept.
    let n = UInt64(1) << UInt64(order)
    if order > 0 {
      var clash = false
      var q = head
      while q < head + n {
        if folioOfPage[q] != nil {
          clash = true
          break
        }
        q += 1
      }
      if clash {
        summary.reshaped += 1
        head = pfn
        order = 0
      }
    }
    let count = UInt64(1) << UInt64(order)
    if summary.declaredPages + count > TraceReader.Limits.declaredPages {
      throw error(column: 1, "the trace touches more than \(TraceReader.Limits.declaredPages) pages, the limit of a trace")
    }
    let hint = backingHint[head]
    let isAnonymous = anon ?? (hint.map { $0 == 1 } ?? true)
    let isGuest = options.guest?.contains(page: head, anonymous: isAnonymous) ?? false
    let index = Int32(folios.count)
    var f = ImportedFolio(head: head, order: order, anonymous: isAnonymous, guest: isGuest)
    if isGuest { f.shared = [UInt64](repeating: 0, count: Int((count + 63) / 64)) }
    folios.append(f)
    var q = head
    while q < head + count {
      folioOfPage.set(q, index)
      q += 1
    }
    // memory HEAD+N order=K backing=B state=S
    startOutput()
    out.text("memory ")
    out.hex(head)
    out.byte(0x2B)
    out.decimal(count)
    out.text(" order=")
    out.decimal(UInt64(order))
    out.text(isAnonymous ? " backing=anon" : " backing=file")
    if isGuest {
      out.text(options.architecture == .s390PV ? " state=nonsecure" : " state=private")
    }
    source(isGuest ? "(guest memory)" : "")
    summary.memoryStatements += 1
    summary.declaredPages += count
    summary.statements += 1
    if isGuest { guestBoot(index, time: time) }
    return index
  }

  // MARK: - References

  /// Records `count` references of one kind taken by `actor` on the pages
  /// from `page` (one each), on folio `f`.
  func hold(_ f: Int32, actor: Int32, kind: ImportedHold.Kind, page: UInt64, count: UInt64) {
    if let h = folios[Int(f)].holds.firstIndex(where: { $0.actor == actor && $0.kind == kind }) {
      folios[Int(f)].holds[h].add(page, count: count)
    } else {
      var hold = ImportedHold(actor: actor, kind: kind)
      hold.add(page, count: count)
      folios[Int(f)].holds.append(hold)
    }
    if kind == .lru { lruFolios.append(f) }
  }

  /// Drops `count` references of the given kinds on folio `f`, preferring
  /// `preferred`'s own, then the oldest holders'; emits the `put`/`unpin`
  /// lines of their holders on the pages they were taken on (the model may
  /// have split the folio since); returns how many it could not find.
  @discardableResult
  func release(_ f: Int32, kinds: [ImportedHold.Kind], count: UInt64, preferred: Int32, time: UInt64, from what: StaticString) -> UInt64 {
    var left = count
    while left > 0 {
      let holds = folios[Int(f)].holds
      guard
        let h = holds.firstIndex(where: { $0.actor == preferred && kinds.contains($0.kind) })
          ?? holds.firstIndex(where: { kinds.contains($0.kind) })
      else { break }
      let take = Int(min(left, holds[h].count))
      // The latest references go first: a partial release keeps the first
      // page's (io_coalesce_buffer() keeps one pin per folio, its first page's).
      let pages = folios[Int(f)].holds[h].removeLatest(UInt64(take))
      emitRelease(holds[h], pages[...], time: time, from: what)
      if folios[Int(f)].holds[h].count == 0 { folios[Int(f)].holds.remove(at: h) }
      left -= UInt64(take)
    }
    return left
  }

  /// `put` / `unpin` lines for references of one holder on `pages` (one
  /// each): a line per run of consecutive pages.
  func emitRelease(_ h: ImportedHold, _ pages: ArraySlice<UInt64>, time: UInt64, from what: StaticString) {
    let verb: StaticString
    switch h.kind {
    case .get: verb = "put"
    case .pin, .longtermPin: verb = "unpin"
    case .lru: return
    }
    let sorted = pages.sorted()
    var i = 0
    while i < sorted.count {
      var j = i + 1
      while j < sorted.count && sorted[j] == sorted[j - 1] + 1 { j += 1 }
      event(h.actor, verb, sorted[i], UInt64(j - i), time: time, from: what)
      i = j
    }
  }

  /// The folio was freed: whatever it still held went where the trace cannot see.
  func releaseAll(_ f: Int32, time: UInt64, from what: StaticString) {
    for h in folios[Int(f)].holds where h.kind != .lru {
      emitRelease(h, h.allPages[...], time: time, from: what)
      summary.releasedAtFree += Int(h.count)
    }
    folios[Int(f)].holds.removeAll { $0.kind != .lru }
    if folios[Int(f)].writeback {
      endWriteback(f, actor: interrupt(), time: time, from: what)
      summary.impliedEnds += 1
    }
  }

  func endWriteback(_ f: Int32, actor: Int32, time: UInt64, from what: StaticString) {
    let folio = folios[Int(f)]
    event(actor, "writeback-end", folio.head, folio.pageCount, time: time, from: what)
    folios[Int(f)].writeback = false
  }
}
