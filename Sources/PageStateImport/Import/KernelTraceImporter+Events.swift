import PageStateTrace

/// What each recognised event becomes (the table of docs/import.md).
extension KernelTraceImporter {
  func apply(_ kind: KernelEvent, _ p: UnsafeBufferPointer<UInt8>, _ line: KernelTraceLine, time: UInt64) throws(TraceError) {
    let a = actor(p, line)
    // An actor's unpin-API calls wait for the gup_put_folio() inside them;
    // any other event of that actor ends the wait.
    // (The unpin API calls nest: unpin_user_pages_dirty_lock() calls unpin_user_pages().)
    switch kind {
    case .gupPut, .followPage: break
    case .unpinPage, .unpinPages, .unpinFolio:
      if actors[Int(a)].pendingGrab != nil { try flushPending(a, time: time, unpins: false) }
    default:
      if !actors[Int(a)].pendingUnpins.isEmpty || actors[Int(a)].pendingGrab != nil {
        try flushPending(a, time: time)
      }
    }
    switch kind {
    case .gupCall:
      noteVmemmap(p)
      if let f = fields.number(p, "flags") { actors[Int(a)].gupFlags = f }
      actors[Int(a)].gupStart = fields.number(p, "start")
      actors[Int(a)].gupGrabbed = 0
      summary.context += 1
    case .gupReturn:
      actors[Int(a)].gupStart = nil
      summary.context += 1
    case .grab: try grab(a, p, time: time)
    case .followPage: try followPage(a, p, time: time)
    case .gupPut: try gupPut(a, p, time: time)
    case .unpinPage, .unpinPages, .unpinFolio: try unpinCall(a, kind, p, time: time)
    case .writebackStart: try writebackStart(a, p, time: time)
    case .writebackEnd: try writebackEnd(a, p, time: time)
    case .lruAdd:
      guard let pfn = pointerField(p, "folio", event: "folio_add_lru") else { return }
      let f = try folio(pfn, shape: shape(p, pfn: pfn), anonymous: anonymous(p), time: time)
      hold(f, actor: a, kind: .lru, page: folios[Int(f)].head, count: 1)
      event(a, "lru-add", folios[Int(f)].head, 1, time: time, from: "folio_add_lru")
      summary.applied += 1
    case .lruMove, .lruDrainAll:
      lruDrain(a, time: time, from: kind == .lruMove ? "folio_batch_move_lru" : "lru_add_drain_all")
    case .folioFreed:
      guard let pfn = pointerField(p, "folio", event: "__folio_put") else { return }
      freed(pfn, time: time, from: "__folio_put")
    case .pageFree, .pageFreeBatched:
      guard let pfn = fields.number(p, "pfn") else { return malformed("mm_page_free") }
      allocatedOrder.remove(pfn)
      freed(pfn, time: time, from: kind == .pageFree ? "mm_page_free" : "mm_page_free_batched")
    case .pageAlloc: pageAlloc(p)
    case .pageCacheAdd:
      guard let pfn = fields.number(p, "pfn") else { return malformed("mm_filemap_add_to_page_cache") }
      backingHint.set(pfn, 2)
      if let k = fields.number(p, "order"), k > 0, k <= UInt64(TraceReader.Limits.maxOrder), pfn & ((1 << k) - 1) == 0 {
        allocatedOrder.set(pfn, Int32(k))
      }
      summary.context += 1
    case .lruInsertion:
      // flags=Ma b: the second letter is 'a' for anonymous, 'f' for a file's
      // (the first is 'M' or a space: the field is read from the line).
      guard let pfn = fields.number(p, "pfn"), let r = fields.value(p, "flags"), r.lowerBound + 1 < line.body.upperBound else {
        return malformed("mm_lru_insertion")
      }
      let backing = p[r.lowerBound + 1]
      if backing == 0x61 { backingHint.set(pfn, 1) } else if backing == 0x66 { backingHint.set(pfn, 2) }
      summary.context += 1
    case .blockIssue: blockIssue(p, line)
    case .bioRelease: try bioRelease(a, p, time: time)
    case .pipeRelease: try pipeRelease(a, p, time: time)
    case .fixedIO: try fixedIO(a, p, time: time)
    case .mark: mark(a, p, line, time: time)
    case .directIO:
      // __iomap_dio_rw: data_source 1 (ITER_SOURCE) is a write to the file: the device reads memory.
      if let d = fields.number(p, "data_source") { actors[Int(a)].dioDeviceReads = d == 1 }
      summary.context += 1
    case .context: summary.context += 1
    }
  }

  func malformed(_ event: String) {
    ImportSummary.note(&summary.malformed, event, line: lineNumber)
  }

  func unmatched(_ event: String) {
    summary.unmatched[event, default: 0] += 1
  }

  /// The pfn of a pointer field, or nil (counted as malformed).
  func pointerField(_ p: UnsafeBufferPointer<UInt8>, _ key: StaticString, event: String) -> UInt64? {
    noteVmemmap(p)
    guard let v = fields.number(p, key), let pfn = pfn(pointer: v) else {
      malformed(event)
      return nil
    }
    return pfn
  }

  /// The FOLL_* layout: `--kernel`, else the first flags value that proves
  /// one (`GUPFlags.evidence`), else this value's own reading.
  func gupLayout(for value: UInt64) -> GUPFlags {
    if let l = layout { return GUPFlags.of(l) }
    if let l = GUPFlags.evidence(value) {
      layout = l
      summary.layout = (l == .linux61 ? "Linux 6.1 and before" : "Linux 6.2 and later", lineNumber)
      return GUPFlags.of(l)
    }
    return GUPFlags.reading(value)
  }

  // MARK: - GUP

  /// `try_grab_folio()`/`try_grab_page()`/`try_grab_folio_fast()`: FOLL_PIN
  /// is a `pin` (`longterm` with FOLL_LONGTERM, `write` with FOLL_WRITE),
  /// FOLL_GET a `get via=gup`, `refs` pages from the page the event names.
  /// A grab that names only the folio (6.10+ `try_grab_folio(folio, refs,
  /// flags)`) waits for the page `follow_page_pte()` returns.
  func grab(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    noteVmemmap(p)
    let flags = fields.number(p, "flags") ?? actors[Int(a)].gupFlags
    let refs = max(1, min(fields.number(p, "refs") ?? 1, 1 << UInt64(TraceReader.Limits.maxOrder)))
    let g = gupLayout(for: flags)
    guard g.isGrab(flags) else {
      summary.context += 1  // neither FOLL_GET nor FOLL_PIN: nothing is taken
      return
    }
    if let v = fields.number(p, "page") {
      guard let pfn = pfn(pointer: v) else { return malformed("try_grab") }
      let f = try folio(pfn, shape: shape(p, pfn: pfn), anonymous: anonymous(p), time: time)
      // Linux 6.1's follow_trans_huge_pmd() grabs the head of a THP for any of its pages.
      let page = pfn == folios[Int(f)].head ? pageOfGrab(a, f) ?? pfn : pfn
      try grabPages(a, f, page: page, refs: refs, flags: flags, time: time)
    } else if let v = fields.number(p, "folio") {
      guard let pfn = pfn(pointer: v) else { return malformed("try_grab_folio") }
      let f = try folio(pfn, shape: shape(p, pfn: pfn), anonymous: anonymous(p), time: time)
      if folios[Int(f)].order == 0 {
        try grabPages(a, f, page: pfn, refs: refs, flags: flags, time: time)
      } else {
        actors[Int(a)].pendingGrab = (f, refs, flags, lineNumber)
      }
    } else {
      malformed("try_grab")
    }
  }

  /// `follow_page_pte()` returned the page of the folio its grab took.
  func followPage(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    guard let pending = actors[Int(a)].pendingGrab else {
      summary.context += 1
      return
    }
    actors[Int(a)].pendingGrab = nil
    noteVmemmap(p)
    var page = folios[Int(pending.folio)].head
    if let v = fields.number(p, "page"), let pfn = pfn(pointer: v), folios[Int(pending.folio)].contains(pfn) {
      page = pfn
    } else if let q = pageOfGrab(a, pending.folio) {
      page = q
    } else {
      summary.grabsAtHead += 1
    }
    try grabPages(a, pending.folio, page: page, refs: pending.refs, flags: pending.flags, time: time)
  }

  /// The page of a large folio that a grab naming only the folio (or its
  /// head) takes: the GUP call walks user addresses from `start`, one page
  /// per grab, and a large folio is mapped at an address aligned to its size
  /// (a PMD for a THP; `thp_vma_suitable_order()` for anonymous mTHP), so
  /// the address's low bits are the page's index in the folio. Nil outside
  /// a GUP call whose start the trace gave.
  func pageOfGrab(_ a: Int32, _ f: Int32) -> UInt64? {
    guard let start = actors[Int(a)].gupStart, folios[Int(f)].order > 0 else { return nil }
    let n = folios[Int(f)].pageCount
    return folios[Int(f)].head + (((start >> 12) &+ actors[Int(a)].gupGrabbed) & (n - 1))
  }

  func grabPages(_ a: Int32, _ f: Int32, page: UInt64, refs: UInt64, flags: UInt64, time: UInt64) throws(TraceError) {
    let g = gupLayout(for: flags)
    let folio = folios[Int(f)]
    let count = min(refs, folio.head + folio.pageCount - page)
    actors[Int(a)].gupGrabbed &+= refs
    let isPin = flags & g.pin != 0
    if folio.guest { try guestShare(f, page, count, time: time) }
    if isPin {
      let longterm = flags & g.longterm != 0
      let write = flags & g.write != 0
      begin(a, "pin", time: time)
      pages(page, count)
      if longterm { out.text(" longterm") }
      if write { out.text(" write") }
      source(longterm ? "try_grab (FOLL_PIN|FOLL_LONGTERM)" : "try_grab (FOLL_PIN)")
      hold(f, actor: a, kind: longterm ? .longtermPin : .pin, page: page, count: count)
    } else {
      event(a, "get", page, count, "via=gup", time: time, from: "try_grab (FOLL_GET)")
      hold(f, actor: a, kind: .get, page: page, count: count)
    }
    summary.applied += 1
    if isPin && folio.guest { guestTouch(f, time: time) }
  }

  /// `gup_put_folio()`: the unpin (FOLL_PIN) or put of `refs` references of
  /// a folio, wherever it is called from (`unpin_user_page*()`,
  /// `unpin_folio()`, `bio_release_folio()`, GUP's undo paths). Released by
  /// the actor that holds them: this one if it does, else the oldest holder.
  func gupPut(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    actors[Int(a)].pendingUnpins.removeAll()
    guard let pfn = pointerField(p, "folio", event: "gup_put_folio") else { return }
    let flags = fields.number(p, "flags") ?? 0
    let refs = max(1, fields.number(p, "refs") ?? 1)
    if layout == nil && (flags == 0x40000 || flags == 0x80000) {
      layout = flags == 0x40000 ? .linux61 : .linux62  // an unpin passes FOLL_PIN alone
      summary.layout = (flags == 0x40000 ? "Linux 6.1 and before" : "Linux 6.2 and later", lineNumber)
    }
    let g = gupLayout(for: flags)
    guard let f = folioOfPage[pfn] else {
      unmatched("gup_put_folio")
      return
    }
    let kinds: [ImportedHold.Kind] = flags & g.pin != 0 ? [.pin, .longtermPin] : [.get]
    var left = release(f, kinds: kinds, count: refs, preferred: a, time: time, from: "gup_put_folio")
    // A trace without folio orders (bpftrace) declared the pages of a large
    // folio as order-0 folios: `refs` references of the folio at this head
    // are on the pages after it.
    if left > 0 && folios[Int(f)].order == 0 && refs > 1 {
      var q = pfn + 1
      while left > 0 && q < pfn + (1 << UInt64(TraceReader.Limits.maxOrder)), let g = folioOfPage[q], folios[Int(g)].order == 0 {
        left = release(g, kinds: kinds, count: left, preferred: a, time: time, from: "gup_put_folio")
        q += 1
      }
    }
    if left > 0 { unmatched("gup_put_folio") }
    summary.applied += 1
  }

  /// `unpin_user_page(s)()`, `unpin_folio()`: kept until the actor's next
  /// event; dropped if `gup_put_folio()` events follow (they are the unpins),
  /// applied as unpins if none do (a trace without that probe).
  func unpinCall(_ a: Int32, _ kind: KernelEvent, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    // Bounded: a task that only ever calls the unpin API has its calls applied in bulk.
    if actors[Int(a)].pendingUnpins.count > 4096 { try flushPending(a, time: time) }
    noteVmemmap(p)
    switch kind {
    case .unpinPage:
      if let v = fields.number(p, "page"), let pfn = pfn(pointer: v) { actors[Int(a)].pendingUnpins.append((pfn, 1, lineNumber)) }
    case .unpinFolio:
      if let v = fields.number(p, "folio"), let pfn = pfn(pointer: v) {
        actors[Int(a)].pendingUnpins.append((pfn, max(1, fields.number(p, "n") ?? 1), lineNumber))
      }
    default:
      let n = Int(min(fields.number(p, "n") ?? 0, 64))
      for v in (fields.array(p, "pg") ?? []).prefix(n) where v != 0 {
        if let pfn = pfn(pointer: v) { actors[Int(a)].pendingUnpins.append((pfn, 1, lineNumber)) }
      }
    }
    summary.context += 1
  }

  /// What an actor's last events left waiting: a folio grab whose page never
  /// came (taken at the head), unpins no `gup_put_folio()` followed.
  func flushPending(_ a: Int32, time: UInt64, unpins: Bool = true) throws(TraceError) {
    if let pending = actors[Int(a)].pendingGrab {
      actors[Int(a)].pendingGrab = nil
      let saved = lineNumber
      lineNumber = pending.line
      var page = folios[Int(pending.folio)].head
      if let q = pageOfGrab(a, pending.folio) { page = q } else { summary.grabsAtHead += 1 }
      try grabPages(a, pending.folio, page: page, refs: pending.refs, flags: pending.flags, time: time)
      lineNumber = saved
    }
    guard unpins else { return }
    let pending = actors[Int(a)].pendingUnpins
    actors[Int(a)].pendingUnpins.removeAll()
    for u in pending {
      guard let f = folioOfPage[u.pfn] else {
        unmatched("unpin_user_page")
        continue
      }
      let saved = lineNumber
      lineNumber = u.line
      if release(f, kinds: [.pin, .longtermPin], count: u.count, preferred: a, time: time, from: "unpin_user_page") > 0 {
        unmatched("unpin_user_page")
      }
      lineNumber = saved
      summary.applied += 1
    }
  }

  // MARK: - Writeback

  /// `__folio_start_writeback()`: `writeback-start` of the whole folio (the
  /// hook runs); a folio still under writeback had an end the trace lost.
  func writebackStart(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    guard let pfn = pointerField(p, "folio", event: "__folio_start_writeback") else { return }
    let anon = anonymous(p) ?? (backingHint[pfn] == 1)
    let f = try folio(pfn, shape: shape(p, pfn: pfn), anonymous: anon, time: time)
    if folios[Int(f)].writeback {
      endWriteback(f, actor: interrupt(), time: time, from: "(implied: a new start)")
      summary.impliedEnds += 1
    }
    let folio = folios[Int(f)]
    event(a, "writeback-start", folio.head, folio.pageCount, time: time, from: "__folio_start_writeback")
    folios[Int(f)].writeback = true
    folios[Int(f)].writebackActor = a
    summary.applied += 1
    if folio.guest { guestTouch(f, time: time) }
  }

  /// `folio_end_writeback()`, from the bio's completion: the device read the
  /// folio (`dma ... read`), then PG_writeback is cleared by the context
  /// that ran the completion (`irq` in interrupt context).
  func writebackEnd(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    guard let pfn = pointerField(p, "folio", event: "folio_end_writeback") else { return }
    guard let f = folioOfPage[pfn], folios[Int(f)].writeback else {
      unmatched("folio_end_writeback")
      return
    }
    let folio = folios[Int(f)]
    event(device(), "dma", folio.head, folio.pageCount, "read", time: time, from: "folio_end_writeback (the write-out)")
    endWriteback(f, actor: a, time: time, from: "folio_end_writeback")
    summary.applied += 1
  }

  // MARK: - LRU, free

  /// A batch was moved to the LRU lists: the model drains every per-CPU batch
  /// at once (`lru-drain`), so a reference of another CPU's batch goes early.
  func lruDrain(_ a: Int32, time: UInt64, from what: StaticString) {
    guard !lruFolios.isEmpty else {
      summary.context += 1
      return
    }
    begin(a, "lru-drain", time: time)
    source(what)
    for f in lruFolios { folios[Int(f)].holds.removeAll { $0.kind == .lru } }
    lruFolios.removeAll()
    summary.applied += 1
  }

  func freed(_ pfn: UInt64, time: UInt64, from what: StaticString) {
    guard let f = folioOfPage[pfn], folios[Int(f)].head == pfn else {
      summary.context += 1
      return
    }
    if folios[Int(f)].holds.contains(where: { $0.kind != .lru }) || folios[Int(f)].writeback {
      releaseAll(f, time: time, from: what)
      summary.applied += 1
    } else {
      summary.context += 1
    }
  }

  /// `mm_page_alloc` of a compound page (`__GFP_COMP`, which the THP and
  /// large-folio masks include): the order of the folio at that pfn.
  func pageAlloc(_ p: UnsafeBufferPointer<UInt8>) {
    summary.context += 1
    guard let pfn = fields.number(p, "pfn") else { return malformed("mm_page_alloc") }
    guard let k = fields.number(p, "order"), k > 0, k <= UInt64(TraceReader.Limits.maxOrder), pfn & ((1 << k) - 1) == 0,
      let r = fields.value(p, "gfp_flags")
    else {
      allocatedOrder.remove(pfn)
      return
    }
    // Names (`GFP_HIGHUSER_MOVABLE|__GFP_COMP`), or a number (trace-cmd -R):
    // ___GFP_COMP is bit 18 in 6.1 and 6.12 (include/linux/gfp_types.h).
    if Bytes.contains(p, r, "__GFP_COMP") || Bytes.contains(p, r, "TRANSHUGE") || (EventFields.number(p, r).map { $0 & 0x40000 != 0 } ?? false) {
      allocatedOrder.set(pfn, Int32(k))
    } else {
      allocatedOrder.remove(pfn)
    }
  }

  // MARK: - I/O

  /// `block_rq_issue: 254,0 WS ...`: later device I/O is that device's.
  func blockIssue(_ p: UnsafeBufferPointer<UInt8>, _ line: KernelTraceLine) {
    summary.context += 1
    var i = line.body.lowerBound
    while i < line.body.upperBound && Bytes.isSpace(p[i]) { i += 1 }
    var majorEnd = i
    while majorEnd < line.body.upperBound && Bytes.isDigit(p[majorEnd]) { majorEnd += 1 }
    guard majorEnd > i, majorEnd < line.body.upperBound, p[majorEnd] == 0x2C else { return }
    var minorEnd = majorEnd + 1
    while minorEnd < line.body.upperBound && Bytes.isDigit(p[minorEnd]) { minorEnd += 1 }
    guard minorEnd > majorEnd + 1 else { return }
    let major = text(p, i..<majorEnd)
    let minor = text(p, (majorEnd + 1)..<minorEnd)
    currentDevice = device(named: "bdev.\(major).\(minor)", role: "block device \(major):\(minor) (block_rq_issue): its DMA")
  }

  /// Direction of a device's I/O on memory: `read` when the device reads
  /// memory (a write to the disk), `write` when it writes memory.
  func dma(_ pfn: UInt64, _ count: UInt64, deviceReads: Bool, time: UInt64, from what: StaticString) throws(TraceError) {
    var page = pfn
    let end = pfn + count
    while page < end {
      let f = try folio(page, time: time)
      let folio = folios[Int(f)]
      let n = min(end, folio.head + folio.pageCount) - page
      event(device(), "dma", page, n, deviceReads ? "read" : "write", time: time, from: what)
      page += n
    }
  }

  /// `__bio_release_pages()`: a direct-I/O bio completed. Its bvecs
  /// `{page, len | offset << 32}` are the pages the device read or wrote;
  /// the FOLL_GET references of Linux 6.1's direct I/O are put here (pins
  /// are dropped by the `gup_put_folio()` calls inside it).
  func bioRelease(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    noteVmemmap(p)
    guard let bvec = fields.array(p, "bvec") else { return malformed("__bio_release_pages") }
    if bvec.allSatisfy({ $0 == 0 }) { return malformed("__bio_release_pages (bvec printed as zeros: trace-cmd report without -R)") }
    let vcnt = Int(min(fields.number(p, "vcnt") ?? UInt64(bvec.count / 2), UInt64(bvec.count / 2)))
    if UInt64(vcnt) < (fields.number(p, "vcnt") ?? 0) { summary.truncatedArrays += 1 }
    // The direction is the holder's last direct I/O (`__iomap_dio_rw`'s data_source).
    var k = 0
    while k < vcnt {
      let pointer = bvec[2 * k]
      let len = bvec[2 * k + 1] & 0xffff_ffff
      let offset = bvec[2 * k + 1] >> 32
      k += 1
      guard let first = pfn(pointer: pointer), len > 0 else { continue }
      let start = first + offset / 4096
      let count = (offset % 4096 + len + 4095) / 4096
      let f = try folio(start, time: time)
      let holder = folios[Int(f)].holds.first { $0.kind != .lru }?.actor ?? a
      try dma(start, count, deviceReads: actors[Int(holder)].dioDeviceReads, time: time, from: "__bio_release_pages (the bio's I/O)")
      var page = start
      while page < start + count {
        guard let g = folioOfPage[page] else { break }
        let n = min(start + count, folios[Int(g)].head + folios[Int(g)].pageCount) - page
        _ = release(g, kinds: [.get], count: n, preferred: holder, time: time, from: "__bio_release_pages")
        page += n
      }
    }
    summary.applied += 1
  }

  /// A pipe buffer released (`generic_pipe_buf_release()`,
  /// `page_cache_pipe_buf_release()`): the pipe's consumer has copied the
  /// page (`access ... read kernel`), and its reference goes: a `put` of the
  /// FOLL_GET reference vmsplice() took, if the trace showed it taken.
  func pipeRelease(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    guard let pfn = pointerField(p, "page", event: "pipe_buf_release") else { return }
    let offset = fields.number(p, "off") ?? 0
    let len = max(1, fields.number(p, "len") ?? 4096)
    let f = try folio(pfn, shape: shape(p, pfn: pfn), anonymous: anonymous(p), time: time)
    let folio = folios[Int(f)]
    let first = pfn + offset / 4096
    let count = min((offset % 4096 + len + 4095) / 4096, folio.head + folio.pageCount - min(first, folio.head + folio.pageCount - 1))
    event(a, "access", min(first, folio.head + folio.pageCount - 1), max(1, count), "read kernel", time: time, from: "pipe_buf_release (the consumer's copy)")
    if folios[Int(f)].holds.contains(where: { $0.kind == .get }) {
      release(f, kinds: [.get], count: 1, preferred: a, time: time, from: "pipe_buf_release")
    } else {
      unmatched("pipe_buf_release")
    }
    summary.applied += 1
  }

  /// `io_import_fixed()`: I/O on an io_uring registered buffer, whose pages
  /// stay pinned long-term. The pages are found from the buffer's bvecs
  /// (`imu->bvec`) at `buf_addr - imu->ubuf`; `ddir` 1 (WRITE) means the
  /// device reads memory.
  func fixedIO(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, time: UInt64) throws(TraceError) {
    noteVmemmap(p)
    guard let bvec = fields.array(p, "bvec"), let ubuf = fields.number(p, "ubuf"),
      let addr = fields.number(p, "buf_addr"), let len = fields.number(p, "len"), addr >= ubuf
    else {
      return malformed("io_import_fixed (no ubuf= and bvec= fields: the buffer's pages are unknown)")
    }
    if bvec.allSatisfy({ $0 == 0 }) { return malformed("io_import_fixed (bvec printed as zeros: trace-cmd report without -R)") }
    let deviceReads = fields.number(p, "ddir") == 1
    var offset = addr - ubuf  // within the buffer
    var remaining = len
    var vecStart: UInt64 = 0
    var k = 0
    while k + 1 < bvec.count && remaining > 0 {
      let pointer = bvec[k]
      let vlen = bvec[k + 1] & 0xffff_ffff
      let voff = bvec[k + 1] >> 32
      k += 2
      guard pointer != 0, vlen > 0 else { break }
      if offset >= vecStart + vlen {
        vecStart += vlen
        continue
      }
      guard let first = pfn(pointer: pointer) else { break }
      let inVec = offset - vecStart + voff
      let take = min(remaining, vecStart + vlen - offset)
      let page = first + inVec / 4096
      let count = (inVec % 4096 + take + 4095) / 4096
      try dma(page, count, deviceReads: deviceReads, time: time, from: "io_import_fixed (I/O on a registered buffer)")
      offset += take
      remaining -= take
      vecStart += vlen
    }
    if remaining > 0 { summary.truncatedArrays += 1 }
    summary.applied += 1
  }

  /// `tracing_mark_write: TEXT` (a `trace_marker` write): a `note`.
  func mark(_ a: Int32, _ p: UnsafeBufferPointer<UInt8>, _ line: KernelTraceLine, time: UInt64) {
    var s = line.body.lowerBound
    while s < line.body.upperBound && Bytes.isSpace(p[s]) { s += 1 }
    // trace-cmd's `print` event: `tracing_mark_write: TEXT`, or with -R `ip=tracing_mark_write buf=TEXT`.
    if let r = fields.value(p, "buf"), fields.value(p, "ip") != nil {
      s = r.lowerBound
    } else if text(p, s..<min(line.body.upperBound, s + 20)) == "tracing_mark_write: " {
      s += 20
    }
    var e = line.body.upperBound
    while e > s && Bytes.isSpace(p[e - 1]) { e -= 1 }
    guard e > s else { return }
    begin(a, "note", time: time)
    out.byte(0x20)
    var i = s
    while i < e && i < s + 200 {
      let b = p[i]
      out.byte(b == 0x23 || b < 0x20 || b == 0x7F ? 0x5F : b)  // no '#' (a comment) or control bytes
      i += 1
    }
    source("trace_marker")
    summary.applied += 1
  }
}
