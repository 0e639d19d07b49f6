import PageStateTrace

extension SEVStep {
  /// A conversion of `pages` (from `start` on) to private or shared: the
  /// guest's Page State Change (KVM_HC_MAP_GPA_RANGE), the VMM's
  /// KVM_SET_MEMORY_ATTRIBUTES, or an implicit one (KVM_EXIT_MEMORY_FAULT).
  /// Folio by folio: the lock and writeback, then (to private) the zap of host
  /// mappings and the safe-refcount check, the granularity rule of the `large`
  /// and `track` knobs, RMPUPDATE / PSMASH, and the attribute.
  func convert(_ m: inout Model, pages: PageRange, from start: UInt64, toPrivate: Bool, implicit: Bool) -> Outcome {
    let target: UInt8 = toPrivate ? SEVPage.private : 0
    var page = start
    // The series drains the LRU batches at most once per request.
    var drained = false
    while page < pages.end {
      var f = m.memory.folio(of: page)
      let partEnd = min(pages.end, f.head + UInt64(f.count))
      let part = PageRange(first: page, count: partEnd - page)
      defer { page = partEnd }
      guard (part.first..<part.end).contains(where: { bits(&m, $0) & SEVPage.private != target }) else { continue }
      if isSeparate(&m, part.first) {
        convertSeparate(&m, part, toPrivate: toPrivate, implicit: implicit)
        continue
      }
      let action = Action.conversion(part, toPrivate: toPrivate)
      var what: String { action.description }

      // The folio lock and writeback come first, in both directions.
      let flags = m.memory.entries[f.index].flags
      if flags.contains(.locked) {
        m.stats.add(.conversionRetries)
        return blocked(.unlock, page: part.first, folio: f.head, count: f.count, conversion: true, what: action, resumeAt: part.first)
      }
      if flags.contains(.writeback) {
        m.stats.add(.conversionRetries)
        return blocked(.writebackEnd, page: part.first, folio: f.head, count: f.count, conversion: true, what: action, resumeAt: part.first)
      }

      // Granularity, decided now and acted on in the spec's order below.
      var scope = part
      var needSplit = false
      var refused = false
      if f.count > 1 && part.count < UInt64(f.count) {
        switch m.policy.large {
        case .refuse: refused = true
        case .split: needSplit = true
        case .allow:
          if m.policy.track == .folio { scope = PageRange(first: f.head, count: UInt64(f.count)) }
        }
      }

      if toPrivate {
        // 1. Zap the host mappings of the pages that convert.
        if !m.tlb.isEmpty {
          var removed = false
          for p in scope.first..<scope.end where bits(&m, p) & SEVPage.private == 0 {
            if m.tlb.zap(p, deferred: m.policy.flush == .deferred) { removed = true }
          }
          if removed {
            m.stats.add(.tlbFlushes)
            m.stats.call(.tlbFlush)
          }
        }
        // 2. The safe refcount: no references above what the page cache holds.
        if m.policy.refcountCheck, let wait = referenceWait(&m, f, page: part.first, what: action, drained: &drained) {
          return wait
        }
      }
      // A split needs the folio free of extra references too (waited for
      // before any finding is reported, so a retry does not repeat them).
      if needSplit, let wait = referenceWait(&m, f, page: part.first, what: .splitForConversion(folio: f.head, part, toPrivate: toPrivate), drained: &drained) {
        return wait
      }
      if !toPrivate && snp { reportStillValidated(&m, part) }
      // 3. Granularity.
      if refused {
        m.report(.conversionFailed, at: event, page: part.first, state: stateName(&m, part.first),
          message: "\(what) covers only part of folio \(hex(f.head)) (order \(m.memory.entries[f.index].order)): with large=refuse the conversion fails")
        continue
      }
      if needSplit {
        let original = m.memory.entries[f.index].order
        m.memory.split(f.index, head: f.head)
        m.stats.add(.splits)
        if m.splitFolios[f.head] == nil { m.splitFolios[f.head] = original }
        f = m.memory.folio(of: part.first)
      }

      // Pages the guest never asked about, converted with the folio.
      var collateral = 0
      for p in scope.first..<scope.end where !part.contains(p) && bits(&m, p) & SEVPage.private != target {
        collateral += 1
      }
      if collateral > 0 {
        m.stats.add(.collateralConversions, UInt64(collateral))
        if !toPrivate {
          m.report(.collateralShare, at: event, page: scope.first, state: stateName(&m, scope.first),
            message: "\(what) converts the whole folio \(hex(scope.first)) (track=folio): \(collateral) page\(collateral == 1 ? "" : "s") the guest never shared became readable by the host")
        }
      }

      if snp { rmpUpdate(&m, scope, toPrivate: toPrivate) }
      var converted: UInt64 = 0
      for p in scope.first..<scope.end where bits(&m, p) & SEVPage.private != target {
        update(&m, p) { b in
          b = (b & ~(SEVPage.private | SEVPage.rmpMask)) | target | (toPrivate ? SEVPage.rmpAssigned : SEVPage.rmpHV)
        }
        converted += 1
        if toPrivate && !m.dmaWindows.isEmpty {
          for w in m.dmaWindows where w.pages.contains(p) {
            m.report(.ioOnSecure, at: event, page: p, state: stateName(&m, p),
              message: "\(what) made page \(hex(p)) private while a DMA \(w.write ? "write" : "read") by \(m.actorName(w.actor)) (started at line \(w.line)) is still in flight")
          }
        }
      }
      m.stats.add(.conversions, converted)
      if implicit { m.stats.add(.implicitConversions, converted) }
      if m.policy.large == .split && m.policy.merge && !m.splitFolios.isEmpty { mergeIfUniform(&m, around: part.first) }
    }
    return .done
  }

  /// `validation-not-rescinded` for the pages of `part` the guest still has
  /// validated as it converts them to shared.
  func reportStillValidated(_ m: inout Model, _ part: PageRange) {
    var valid = 0
    var firstValid: UInt64 = 0
    for p in part.first..<part.end where bits(&m, p) & (SEVPage.private | SEVPage.rmpMask) == SEVPage.private | SEVPage.rmpValid {
      if valid == 0 { firstValid = p }
      valid += 1
    }
    guard valid > 0 else { return }
    let separate = isSeparate(&m, part.first)
    m.report(.validationNotRescinded, at: event, page: firstValid, state: stateName(&m, firstValid),
      message: "\(valid) page\(valid == 1 ? "" : "s") of \(part) still validated: the guest did not PVALIDATE them off before converting to shared; "
        + (separate ? "the guest_memfd page keeps its validated RMP entry until guest_memfd frees it (sev_gmem_invalidate())" : "RMPUPDATE clears it"))
  }

  /// Drains the LRU batches once per request when a small folio is over its
  /// safe refcount (the series' `kvm_gmem_is_safe_for_conversion()`:
  /// `folio_may_be_lru_cached(folio) && !lru_drained` → `lru_add_drain_all()`,
  /// whether or not a batch holds the folio: the kernel cannot know; a large
  /// folio is never in a batch), then waits if the folio still has extra
  /// references (-EAGAIN: user space must drop its pins and retry).
  func referenceWait(_ m: inout Model, _ f: (head: UInt64, index: Int, count: Int), page: UInt64, what: Action, drained: inout Bool) -> Outcome? {
    guard m.memory.entries[f.index].extra > 0 else { return nil }
    if m.policy.drain && !drained && f.count == 1 {
      drained = true
      m.memory.drainLRU()
      m.stats.add(.lruDrains)
    }
    guard m.memory.entries[f.index].extra > 0 else { return nil }
    m.stats.add(.conversionRetries)
    return blocked(.references, page: page, folio: f.head, count: f.count, conversion: true, what: what, resumeAt: page)
  }

  /// RMPUPDATE for the pages of `scope` that change (gmem=in-place and
  /// memory that is not guest_memfd), with the kernel's page-size rules.
  /// To shared: `sev_gmem_invalidate()` over `scope` (a 2M update only where
  /// the entry is 2M, aligned and covered, else PSMASH and 4K per assigned
  /// page). To private: one 2M entry for an aligned 2 MiB region that the
  /// conversion covers, that lies in one folio of order >= 9 and whose 512
  /// entries are all unassigned (`is_large_rmp_possible()`:
  /// `max_level_for_order(order) > PG_LEVEL_4K && is_pfn_range_shared()`),
  /// else one 4K update per page that changes.
  func rmpUpdate(_ m: inout Model, _ scope: PageRange, toPrivate: Bool) {
    guard toPrivate else {
      invalidate(&m, scope)
      return
    }
    var region = scope.first & ~511
    while region < scope.end {
      let r = PageRange(first: region, count: 512)
      let lo = max(region, scope.first)
      let hi = min(r.end, scope.end)
      let f = m.memory.folio(of: lo)
      var changes: UInt64 = 0
      for p in lo..<hi where bits(&m, p) & SEVPage.private == 0 { changes += 1 }
      if changes == 0 {
        region += 512
        continue
      }
      if lo == region && hi == r.end && f.count >= 512
        && (lo..<hi).allSatisfy({ bits(&m, $0) & SEVPage.rmpMask == SEVPage.rmpHV })
      {
        m.stats.add(.rmpupdates)
        m.stats.call(.rmpupdate)
        for p in lo..<hi { update(&m, p) { $0 |= SEVPage.rmp2M } }
      } else {
        if bits(&m, lo) & SEVPage.rmp2M != 0 { psmash(&m, region: lo) }
        m.stats.add(.rmpupdates, changes)
        m.stats.call(.rmpupdate, changes)
      }
      region += 512
    }
  }

  /// PSMASH: splits the 2M RMP entry of the region around `page` into 512 4K entries.
  func psmash(_ m: inout Model, region page: UInt64) {
    let first = page & ~511
    m.stats.add(.psmash)
    m.stats.call(.psmash)
    for p in first..<(first + 512) where m.memory.isDeclared(p) {
      update(&m, p) { $0 &= ~SEVPage.rmp2M }
    }
  }

  /// guest_memfd's huge folios are never of mixed state: a folio split for a
  /// partial conversion merges back once all its pages are private again
  /// (`merge=on`). The spec says "all private or all shared"; the kernel
  /// (`kvm_gmem_try_merge_folio_in_filemap`) merges only when none is shared,
  /// since shared pages are mapped by the host at 4K: the model follows it.
  func mergeIfUniform(_ m: inout Model, around page: UInt64) {
    guard let (head, order) = m.splitFolios.first(where: { page >= $0.key && page < $0.key + (UInt64(1) << UInt64($0.value)) }) else { return }
    let count = 1 << Int(order)
    for p in head..<(head + UInt64(count)) {
      let f = m.memory.folio(of: p)
      if bits(&m, p) & SEVPage.private == 0 || m.memory.hasMarker(f.index) { return }
    }
    let i = m.memory.index(of: head)
    for k in 0..<count { m.memory.entries[i + k].order = order }
    m.memory.entries[i].flags = []
    m.memory.noteChange(head: head, folio: i)
    m.splitFolios[head] = nil
    m.stats.add(.merges)
  }
}
