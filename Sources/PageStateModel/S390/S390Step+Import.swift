import PageStateTrace

extension S390Step {
  /// Makes a page secure: `gmap_make_secure` -> `make_folio_secure` (the guest's
  /// PGM 0x3e fault, `share` of a page it does not own, or the host side of an
  /// `unshare` of a pinned-shared page, UVC UNPIN_PAGE_SHARED).
  ///
  /// Returns nil when the page is secure, or the outcome that stops the event:
  /// a wait (KVM re-enters the guest, which faults again) or the guest's death.
  /// `index` is the page's flat index.
  ///
  /// The common case runs inline: a folio the import takes as it is (order
  /// 0, or `large=allow`) that is not locked, not under writeback and holds
  /// no extra references, with no injected failures. Its steps are those of
  /// `importPageInFull`, with the page's bits written once. Anything else
  /// goes to `importPageInFull`.
  @inline(__always)
  func importPage(_ m: inout Model, _ page: UInt64, index i: Int, why: StaticString) -> Outcome? {
    let order = m.memory.entries[i].order
    let head = i &- Int(page & ((UInt64(1) << order) &- 1))
    let folio = m.memory.entries[head]
    guard order == 0 || m.policy.s390Large == .allow,
      folio.flags.intersection([.locked, .writeback]).isEmpty, folio.extra == 0, m.injections.isEmpty
    else {
      return importPageInFull(&m, page, index: i, why: why)
    }
    // -ENXIO cleared, the bit set (step 5: before the UV call), then secure.
    var bits = m.memory.entries[i].bits & ~(S390PV.unmapped | S390PV.stateMask) | State.secure.rawValue
    if m.policy.track == .folio {
      m.memory.entries[head].flags.insert(.archBit)
    } else {
      bits |= S390PV.archBit
    }
    m.memory.entries[i].bits = bits
    m.stats.call(.import)
    m.stats.add(.imports)
    // `setState`'s findings: the bit is set, so only an open DMA window reports.
    if !m.dmaWindows.isEmpty { reportSecure(&m, index: i, page: page, why: .ofPage(why, page)) }
    return nil
  }

  /// Every step of `make_folio_secure` (see `importPage`).
  @inline(never)
  func importPageInFull(_ m: inout Model, _ page: UInt64, index: Int, why: StaticString) -> Outcome? {
    var i = index
    var f = m.memory.folio(of: page, index: i)
    if m.memory.entries[i].bits & S390PV.unmapped != 0 {
      // -ENXIO: KVM faults the page in writable and retries; the baseline rises again.
      m.memory.entries[i].bits &= ~S390PV.unmapped
    }
    // Parts, not text: the text is built only when a finding or a wait's report needs it.
    let what = Action.ofPage(why, page)
    // Step 1: a large folio.
    if f.count > 1 {
      switch m.policy.s390Large {
      case .allow:
        break
      case .refuse:
        m.report(.guestKilled, at: event, page: page, state: state(&m, index: i).name,
          message: "\(what): the folio \(hex(f.head)) has order \(m.memory.entries[f.index].order); make_folio_secure returns -EINVAL for a large folio (s390 6.10) and the VMM kills the guest")
        return .killGuest
      case .split:
        if let wait = importBlocker(&m, f, page: page, what: .splitBefore(folio: f.head, why, page: page)) {
          m.stats.add(.importRetries)
          return wait
        }
        m.memory.split(f.index, head: f.head)
        m.stats.add(.splits)
        f = m.memory.folio(of: page)
        i = f.index
      }
    }
    // Steps 2-4: lock, writeback, references.
    if let wait = importBlocker(&m, f, page: page, what: what) {
      m.stats.add(.importRetries)
      return wait
    }
    // Step 5: the bit first, then the UV call (the bit over-indicates by design).
    setArchBit(&m, index: i, folio: f.index)
    if !m.injections.isEmpty {
      if consume(&m, page, .importError) {
        // The UV call fails for good: -EINVAL (-ENXIO only for rc 0x10a),
        // PG_arch_1 stays set (the over-indication the bit allows), and KVM
        // sends SIGSEGV to the VMM on -EINVAL from gmap_convert_to_secure().
        m.stats.call(.import)
        m.report(.guestKilled, at: event, page: page, state: state(&m, index: i).name,
          message: "\(what): UVC CONV_TO_SEC_STOR failed (injected, not busy): make_folio_secure returns -EINVAL with PG_arch_1 already set, and the VMM kills the guest; the page stays \(state(&m, index: i).name) with its bit set")
        return .killGuest
      }
      while consume(&m, page, .import) {
        // A busy UV: the import is retried at once (-EAGAIN without a wait).
        m.stats.call(.import)
        m.stats.add(.importRetries)
      }
    }
    m.stats.call(.import)
    m.stats.add(.imports)
    setState(&m, index: i, page: page, .secure, why: what)
    return nil
  }

  /// Steps 2-4 of the import: the release's rules under `kernel=`
  /// (`kernelBlocker`), else the model's (`conversionBlocker`).
  func importBlocker(_ m: inout Model, _ f: (head: UInt64, index: Int, count: Int), page: UInt64, what: Action) -> Outcome? {
    if let r = m.policy.kernel { return kernelBlocker(&m, f, page: page, release: r, what: what) }
    return conversionBlocker(&m, f, page: page, conversion: true, what: what)
  }

  /// Takes one pending injected failure of `kind` on `page`.
  func consume(_ m: inout Model, _ page: UInt64, _ kind: InjectedFailure) -> Bool {
    guard var j = m.injections[page] else { return false }
    var hit = false
    switch kind {
    case .export: if j.export > 0 { j.export -= 1; hit = true }
    case .pinShared: if j.pinShared > 0 { j.pinShared -= 1; hit = true }
    case .import: if j.import > 0 { j.import -= 1; hit = true }
    case .importError: if j.importError > 0 { j.importError -= 1; hit = true }
    }
    if j.export == 0 && j.pinShared == 0 && j.import == 0 && j.importError == 0 {
      m.injections[page] = nil
    } else {
      m.injections[page] = j
    }
    return hit
  }
}
