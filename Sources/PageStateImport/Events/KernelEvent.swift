/// What a kernel trace event means to the importer. The mapping of each to
/// trace-language statements, with the kernel function behind it, is the
/// table of docs/import.md.
enum KernelEvent: UInt8, CaseIterable {
  /// A GUP entry point (`gup_fast_fallback`, `pin_user_pages`, ...): the
  /// caller's FOLL_* flags and `vmemmap_base`; no statement.
  case gupCall
  /// The return of a GUP entry point; no statement.
  case gupReturn
  /// `try_grab_folio()`, `try_grab_page()`, `try_grab_folio_fast()`: a pin
  /// (FOLL_PIN, FOLL_LONGTERM) or a reference (FOLL_GET) per page.
  case grab
  /// The page `follow_page_pte()` returns: the exact page of the folio the
  /// slow path's `try_grab_folio()` grabbed (6.10+).
  case followPage
  /// `gup_put_folio()`: drops `refs` pins (FOLL_PIN) or references.
  case gupPut
  /// `unpin_user_page()`.
  case unpinPage
  /// `unpin_user_pages()`, `unpin_user_pages_dirty_lock()`.
  case unpinPages
  /// `unpin_folio()`, `unpin_user_folio()`.
  case unpinFolio
  /// `__folio_start_writeback()`.
  case writebackStart
  /// `folio_end_writeback()`: the I/O completion.
  case writebackEnd
  /// `folio_add_lru()`: a reference held by a per-CPU LRU batch.
  case lruAdd
  /// `folio_batch_move_lru()`: a batch drained.
  case lruMove
  /// `lru_add_drain_all()`.
  case lruDrainAll
  /// `__folio_put()`: the last reference went, the folio is freed.
  case folioFreed
  /// `__bio_release_pages()`: a direct-I/O bio completed, its pages released.
  case bioRelease
  /// `generic_pipe_buf_release()`, `page_cache_pipe_buf_release()`: a pipe
  /// buffer's page reference dropped.
  case pipeRelease
  /// `io_import_fixed()`: I/O on an io_uring registered buffer.
  case fixedIO
  /// kmem:mm_page_alloc (pfn, order).
  case pageAlloc
  /// kmem:mm_page_free (pfn, order).
  case pageFree
  /// kmem:mm_page_free_batched (pfn).
  case pageFreeBatched
  /// filemap:mm_filemap_add_to_page_cache (pfn: a page-cache folio).
  case pageCacheAdd
  /// pagemap:mm_lru_insertion (pfn, anonymous or file).
  case lruInsertion
  /// block:block_rq_issue (the device).
  case blockIssue
  /// `__iomap_dio_rw()`: a direct I/O begins; its direction (`data_source`).
  case directIO
  /// A `trace_marker` write (`tracing_mark_write`, perf's `ftrace:print`).
  case mark
  /// An event the importer knows and that changes nothing the model tracks
  /// (writeback bookkeeping, io_uring requests, the DIO path's entry, ...).
  case context
}

/// Finds the `KernelEvent` of an event name or a probed function's name:
/// a small open-addressing table over the name's bytes (no `String` per line).
final class KernelEventTable: Sendable {
  /// Event names of the capture recipe (docs/capture/probes.py) and
  /// tracepoints, then the kernel functions they probe (for kprobes named
  /// otherwise: `p_try_grab_folio_0`, perf's `probe:try_grab_folio`).
  static let names: [(String, KernelEvent)] = [
    ("gup_fast", .gupCall), ("internal_get_user_pages_fast", .gupCall), ("gup_fast_fallback", .gupCall),
    ("get_user_pages_fast", .gupCall), ("pin_user_pages_fast", .gupCall), ("pin_user_pages", .gupCall),
    ("pin_user_pages_remote", .gupCall), ("gup_longterm", .gupCall), ("__gup_longterm_locked", .gupCall),
    ("get_user_pages", .gupCall), ("get_user_pages_remote", .gupCall), ("__get_user_pages", .gupCall),
    ("get_user_pages_unlocked", .gupCall), ("pin_user_pages_unlocked", .gupCall),
    ("gup_fast_ret", .gupReturn), ("pin_user_pages_ret", .gupReturn), ("pin_user_pages_remote_ret", .gupReturn),
    ("grab_page", .grab), ("try_grab_page", .grab), ("grab_folio", .grab), ("try_grab_folio", .grab),
    ("grab_folio_fast", .grab), ("try_grab_folio_fast", .grab),
    ("follow_page_ret", .followPage),
    ("gup_put_folio", .gupPut),
    ("unpin_user_page", .unpinPage),
    ("unpin_user_pages", .unpinPages), ("unpin_user_pages_dirty_lock", .unpinPages),
    ("unpin_folio", .unpinFolio), ("unpin_user_folio", .unpinFolio),
    ("start_wb", .writebackStart), ("__folio_start_writeback", .writebackStart),
    ("end_wb", .writebackEnd), ("folio_end_writeback", .writebackEnd),
    ("folio_add_lru", .lruAdd),
    ("lru_batch_move", .lruMove), ("folio_batch_move_lru", .lruMove),
    ("lru_add_drain_all", .lruDrainAll),
    ("folio_put_last", .folioFreed), ("__folio_put", .folioFreed),
    ("bio_release", .bioRelease), ("__bio_release_pages", .bioRelease),
    ("pipe_buf_release", .pipeRelease), ("generic_pipe_buf_release", .pipeRelease),
    ("pcache_pipe_buf_release", .pipeRelease), ("page_cache_pipe_buf_release", .pipeRelease),
    ("user_page_pipe_buf_release", .pipeRelease),
    ("io_import_fixed", .fixedIO),
    ("mm_page_alloc", .pageAlloc), ("mm_page_free", .pageFree), ("mm_page_free_batched", .pageFreeBatched),
    ("mm_filemap_add_to_page_cache", .pageCacheAdd), ("mm_lru_insertion", .lruInsertion),
    ("block_rq_issue", .blockIssue),
    ("tracing_mark_write", .mark), ("print", .mark),
    // Known, and nothing the model tracks.
    ("folio_wait_wb", .context), ("folio_wait_writeback", .context), ("folio_lock_slow", .context),
    ("__folio_lock", .context), ("folio_unlock", .context), ("iomap_dio", .directIO), ("__iomap_dio_rw", .directIO),
    ("iomap_dio_ret", .context), ("bio_get_pages", .context), ("bio_iov_iter_get_pages", .context),
    ("io_sqe_buffers_register", .context), ("io_sqe_buffers_unregister", .context), ("io_buffer_unmap", .context),
    ("io_sqe_buffer_register", .context), ("io_pin_pages", .context), ("io_pin_pages_ret", .context),
    ("follow_page_pte", .followPage),
    ("mm_filemap_delete_from_page_cache", .context), ("mm_filemap_map_pages", .context),
    ("mm_filemap_get_pages", .context), ("mm_filemap_fault", .context), ("mm_lru_activate", .context),
    ("file_check_and_advance_wb_err", .context), ("filemap_set_wb_err", .context),
    ("sb_clear_inode_writeback", .context), ("sb_mark_inode_writeback", .context), ("wbc_writepage", .context),
    ("global_dirty_state", .context), ("bdi_dirty_ratelimit", .context), ("balance_dirty_pages", .context),
    ("flush_foreign", .context), ("track_foreign_dirty", .context), ("inode_switch_wbs", .context),
    ("inode_foreign_history", .context), ("block_rq_complete", .context),
  ]

  /// Name prefixes of whole groups the model has nothing to do with.
  static let contextPrefixes: [[UInt8]] = ["writeback_", "io_uring_"].map { Array($0.utf8) }

  let slots: [Int16]
  let keys: [[UInt8]]
  let kinds: [KernelEvent]
  let mask: Int

  init() {
    let size = 512
    var slots = [Int16](repeating: -1, count: size)
    var keys: [[UInt8]] = []
    var kinds: [KernelEvent] = []
    for (name, kind) in KernelEventTable.names {
      let bytes = Array(name.utf8)
      var s = KernelEventTable.hash(bytes[...]) & (size - 1)
      while slots[s] >= 0 { s = (s + 1) & (size - 1) }
      slots[s] = Int16(keys.count)
      keys.append(bytes)
      kinds.append(kind)
    }
    self.slots = slots
    self.keys = keys
    self.kinds = kinds
    mask = size - 1
  }

  @inline(__always)
  static func hash<C: Collection>(_ bytes: C) -> Int where C.Element == UInt8 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return Int(truncatingIfNeeded: h >> 7)
  }

  /// The kind of the name at `r`, or nil.
  func lookup(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> KernelEvent? {
    guard !r.isEmpty else { return nil }
    let name = UnsafeBufferPointer(rebasing: p[r])
    var s = KernelEventTable.hash(name) & mask
    while true {
      let k = Int(slots[s])
      if k < 0 { break }
      if Bytes.equal(p, r, keys[k]) { return kinds[k] }
      s = (s + 1) & mask
    }
    for prefix in KernelEventTable.contextPrefixes where name.count > prefix.count && name.starts(with: prefix) {
      return .context
    }
    return nil
  }

  /// The kind of an event, from its name, else from the function its probe
  /// site names, else from its name with a probe's decorations removed
  /// (`p_`/`r_` prefixes, `_0` and `__return` suffixes). A return probe of
  /// a GUP entry point is `.gupReturn`, of `follow_page_pte` `.followPage`.
  func classify(_ p: UnsafeBufferPointer<UInt8>, _ line: KernelTraceLine) -> KernelEvent? {
    if let k = lookup(p, line.event) { return k }
    if let (symbol, isReturn) = line.siteSymbol(p), let k = lookup(p, symbol) {
      return isReturn ? returned(k) : k
    }
    var r = line.event
    var isReturn = false
    func hasSuffix(_ s: StaticString) -> Bool {
      let n = s.utf8CodeUnitCount
      guard r.count > n else { return false }
      for j in 0..<n where p[r.upperBound - n + j] != s.utf8Start[j] { return false }
      return true
    }
    func hasPrefix(_ s: StaticString) -> Bool {
      let n = s.utf8CodeUnitCount
      guard r.count > n else { return false }
      for j in 0..<n where p[r.lowerBound + j] != s.utf8Start[j] { return false }
      return true
    }
    if hasPrefix("r_") {
      isReturn = true
      r = (r.lowerBound + 2)..<r.upperBound
    } else if hasPrefix("p_") {
      r = (r.lowerBound + 2)..<r.upperBound
    }
    var e = r.upperBound
    while e > r.lowerBound && Bytes.isDigit(p[e - 1]) { e -= 1 }
    if e < r.upperBound && e > r.lowerBound + 1 && p[e - 1] == 0x5F { r = r.lowerBound..<(e - 1) }
    if hasSuffix("__return") {
      isReturn = true
      r = r.lowerBound..<(r.upperBound - 8)
    }
    guard r != line.event, let k = lookup(p, r) else { return nil }
    return isReturn ? returned(k) : k
  }

  func returned(_ k: KernelEvent) -> KernelEvent {
    switch k {
    case .gupCall: return .gupReturn
    case .followPage: return .followPage
    default: return .context  // the return of a path: nothing to apply
    }
  }
}
