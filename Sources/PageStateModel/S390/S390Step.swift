import PageStateTrace

/// One event applied to the s390 model. The paths live in extensions:
/// `+Import` (make_folio_secure), `+Hook` (arch_make_folio_accessible), `+Verbs`.
struct S390Step: EventStep {
  typealias State = S390PV.PageState
  let event: Event

  // MARK: Page bits

  @inline(__always)
  func state(_ m: inout Model, _ page: UInt64) -> State {
    State(rawValue: m.memory.entries[m.memory.index(of: page)].bits & S390PV.stateMask)!
  }

  @inline(__always)
  func state(_ m: inout Model, index i: Int) -> State {
    State(rawValue: m.memory.entries[i].bits & S390PV.stateMask)!
  }

  /// Sets a page's state; a page that becomes secure under an open DMA window
  /// is `io-on-secure`, and one whose arch bit is clear is `arch-bit-lost`.
  /// Inlined: the findings are the rare case, checked in `reportSecure`.
  @inline(__always)
  func setState(_ m: inout Model, index i: Int, page: UInt64, _ s: State, why: Action) {
    m.memory.entries[i].bits = (m.memory.entries[i].bits & ~S390PV.stateMask) | s.rawValue
    guard s == .secure, !archBitSet(&m, index: i, page: page) || !m.dmaWindows.isEmpty else { return }
    reportSecure(&m, index: i, page: page, why: why)
  }

  /// The findings of a page that became secure (see `setState`).
  @inline(never)
  func reportSecure(_ m: inout Model, index i: Int, page: UInt64, why: Action) {
    let s = State.secure
    if !archBitSet(&m, index: i, page: page) {
      m.report(.archBitLost, at: event, page: page) { _ in
        (s.name, "page \(hex(page)) became secure (\(why)) while PG_arch_1 is clear: the hook would skip it and let I/O through")
      }
    }
    if !m.dmaWindows.isEmpty {
      for w in m.dmaWindows where w.pages.contains(page) {
        m.report(.ioOnSecure, at: event, page: page) { m in
          (s.name, "\(why) made page \(hex(page)) secure while a DMA \(w.write ? "write" : "read") by \(m.actorName(w.actor)) (started at line \(w.line)) is still in flight: the device touches guest-private memory")
        }
      }
    }
  }

  /// Whether the arch bit that covers `page` (at flat index `i`) is set (page or folio, per `track`).
  @inline(__always)
  func archBitSet(_ m: inout Model, index i: Int, page: UInt64) -> Bool {
    if m.policy.track == .folio {
      return m.memory.entries[m.memory.folio(of: page, index: i).index].flags.contains(.archBit)
    }
    return m.memory.entries[i].bits & S390PV.archBit != 0
  }

  /// Sets the arch bit covering a page (step 5 of the import: before the UV call).
  @inline(__always)
  func setArchBit(_ m: inout Model, index i: Int, folio: Int) {
    if m.policy.track == .folio {
      m.memory.entries[folio].flags.insert(.archBit)
    } else {
      m.memory.entries[i].bits |= S390PV.archBit
    }
  }

  /// Clears a page's bit (track=page), or the folio's bit if no page of it is
  /// left secure (track=folio), nor shared: a shared page becomes secure by
  /// the guest's unshare alone, with no host work that could set the bit.
  func clearArchBit(_ m: inout Model, index i: Int, folio: Int, count: Int) {
    if m.policy.track == .folio {
      for j in folio..<(folio + count) {
        let s = state(&m, index: j)
        if s == .secure || s == .shared { return }
      }
      m.memory.entries[folio].flags.remove(.archBit)
    } else {
      m.memory.entries[i].bits &= ~S390PV.archBit
    }
  }

}
