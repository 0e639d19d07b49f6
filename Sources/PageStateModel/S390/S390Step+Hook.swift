import PageStateTrace

extension S390Step {
  /// The accessibility hook: `arch_make_page_accessible` (scope page) or
  /// `arch_make_folio_accessible` (scope folio) on the folio holding `page`.
  /// `asked` are the pages the caller asked for; other pages it changes count
  /// as collateral. Returns false if the hook failed (`hook-failures`).
  func hook(_ m: inout Model, page: UInt64, scope: HookScope, asked: PageRange) -> Bool {
    let f = m.memory.folio(of: page)
    let ok: Bool
    if m.policy.track == .folio {
      // Only the folio hook: the folio's bit is tested once at the start.
      guard m.memory.entries[f.index].flags.contains(.archBit) else { return true }
      ok = folioPass(&m, f, asked: asked, onlyFlagged: false)
      if ok { clearArchBit(&m, index: f.index, folio: f.index, count: f.count) }
    } else if scope == .page || f.count == 1 {
      let i = f.index + Int(page - f.head)
      guard m.memory.entries[i].bits & S390PV.archBit != 0 else { return true }
      ok = visit(&m, index: i, page: page, folio: f, asked: asked)
    } else {
      ok = folioPass(&m, f, asked: asked, onlyFlagged: true)
    }
    if !ok { m.stats.add(.hookFailures) }
    return ok
  }

  /// The folio scope: `each` page in order (stopping at the first failure), or
  /// the 2023 proposal's `two-pass` order. With `onlyFlagged`, pages whose own
  /// bit is clear are skipped (track=page).
  func folioPass(_ m: inout Model, _ f: (head: UInt64, index: Int, count: Int), asked: PageRange, onlyFlagged: Bool) -> Bool {
    func considered(_ m: inout Model, _ i: Int) -> Bool {
      !onlyFlagged || m.memory.entries[i].bits & S390PV.archBit != 0
    }
    if m.policy.folioHook == .each {
      for k in 0..<f.count where considered(&m, f.index + k) {
        if !visit(&m, index: f.index + k, page: f.head + UInt64(k), folio: f, asked: asked) { return false }
      }
      return true
    }
    // two-pass: pin-share pages in order until one fails ...
    var failedAt: Int?
    for k in 0..<f.count where considered(&m, f.index + k) {
      let i = f.index + k
      let page = f.head + UInt64(k)
      if !pinShared(&m, index: i, page: page, folio: f, asked: asked) {
        failedAt = k
        break
      }
    }
    guard failedAt != nil else { return true }
    // ... then export every page of the folio from the first, pinned-shared ones included.
    for k in 0..<f.count where considered(&m, f.index + k) {
      if !export(&m, index: f.index + k, page: f.head + UInt64(k), folio: f, asked: asked) { return false }
    }
    return true
  }

  /// The kernel's per-page fallback: UVC PIN_PAGE_SHARED, else
  /// UVC CONV_FROM_SEC_STOR (export); the bit is cleared on success.
  func visit(_ m: inout Model, index i: Int, page: UInt64, folio f: (head: UInt64, index: Int, count: Int), asked: PageRange) -> Bool {
    if pinShared(&m, index: i, page: page, folio: f, asked: asked) { return true }
    return export(&m, index: i, page: page, folio: f, asked: asked)
  }

  /// UVC PIN_PAGE_SHARED: succeeds on a shared or pinned-shared page unless injected to fail.
  func pinShared(_ m: inout Model, index i: Int, page: UInt64, folio f: (head: UInt64, index: Int, count: Int), asked: PageRange) -> Bool {
    let s = state(&m, index: i)
    m.stats.call(.pinShared)
    guard s == .shared || s == .pinnedShared else {
      if !s.isGuestOwned { m.stats.add(.spuriousUVCalls) }
      return false
    }
    if consume(&m, page, .pinShared) { return false }
    if s == .shared {
      setState(&m, index: i, page: page, .pinnedShared, why: .named("pin-shared"))
      m.stats.add(.pinShared)
      if !asked.contains(page) { m.stats.add(.collateralPins) }
    }
    clearPageBit(&m, index: i)
    return true
  }

  /// UVC CONV_FROM_SEC_STOR: exports a guest-owned page; a no-op (spurious) on
  /// a nonsecure or exported one; fails if injected.
  func export(_ m: inout Model, index i: Int, page: UInt64, folio f: (head: UInt64, index: Int, count: Int), asked: PageRange) -> Bool {
    let s = state(&m, index: i)
    if consume(&m, page, .export) {
      m.stats.call(.export)
      return false
    }
    if s.isGuestOwned {
      m.stats.call(.export)
      setState(&m, index: i, page: page, .exported, why: .named("export"))
      m.stats.add(.exports)
      if !asked.contains(page) { m.stats.add(.collateralExports) }
    } else {
      m.stats.call(.noOp)
      m.stats.add(.spuriousUVCalls)
    }
    clearPageBit(&m, index: i)
    return true
  }

  /// Clears a page's own bit under track=page (the folio bit is handled by the caller).
  func clearPageBit(_ m: inout Model, index i: Int) {
    if m.policy.track == .page { m.memory.entries[i].bits &= ~S390PV.archBit }
  }
}
