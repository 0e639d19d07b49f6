import PageStateTrace

extension S390Step {
  func run(from offset: UInt64, _ m: inout Model) -> Outcome {
    switch event.verb {
    case .get: return reference(&m, kind: .get)
    case .lruAdd: return reference(&m, kind: .lru)
    case .specGet: return reference(&m, kind: .speculative)
    case .put: return release(&m, kinds: [.get], what: "put", holds: "plain references (get)")
    case .specPut: return release(&m, kinds: [.speculative], what: "spec-put", holds: "speculative references (spec-get)")
    case .unpin: return release(&m, kinds: [.pin, .pinLongterm], what: "unpin", holds: "pins")
    case .pin: return pin(&m, from: offset)
    case .lock: return lock(&m)
    case .unlock: return unlock(&m)
    case .lruDrain:
      m.memory.drainLRU()
      return .done
    case .writebackStart: return writebackStart(&m, from: offset)
    case .writebackEnd: return writebackEnd(&m)
    case .access: return access(&m)
    case .makeAccessible: return makeAccessible(&m)
    case .split: return split(&m)
    case .flush:
      m.stats.add(.tlbFlushes)
      m.stats.call(.tlbFlush)
      return .done
    case .note: return .done
    case .dmaStart, .dma: return dmaStart(&m)
    case .dmaEnd: return dmaEnd(&m)
    case .touch: return touch(&m, from: offset)
    case .share: return share(&m, from: offset)
    case .unshare: return unshare(&m, from: offset)
    case .unmap: return unmap(&m)
    case .destroy: return destroy(&m)
    case .inject: return inject(&m)
    case .psc, .pvalidate, .gpte, .mprotect, .splitPMD, .convert:
      return failed("verb '\(event.verb.name)' does not exist for arch s390-pv")
    }
  }

  // MARK: References

  func reference(_ m: inout Model, kind: HolderKind) -> Outcome {
    forEachFolio(&m, from: 0) { m, head, folio, _, part in
      m.memory.hold(folio, actor: actor, kind: kind, count: UInt32(part.count), line: event.line, head: head)
      return nil
    }
  }

  func release(_ m: inout Model, kinds: [HolderKind], what: String, holds: String) -> Outcome {
    forEachFolio(&m, from: 0) { m, head, folio, _, part in
      let have = m.memory.held(folio, actor: actor, kinds: kinds)
      guard have >= part.count else {
        return failed(have == 0
          ? "\(what) \(part) by \(m.actorName(actor)), which holds no \(holds) on folio \(hex(head))"
          : "\(what) \(part) by \(m.actorName(actor)) drops \(part.count) \(holds), but it holds only \(have) on folio \(hex(head))")
      }
      m.memory.release(folio, actor: actor, kinds: kinds, count: UInt32(part.count), head: head)
      return nil
    }
  }

  /// `pin_user_pages` (FOLL_PIN): take the pin, then the hook per the `hook`
  /// knob; on failure drop that page's pin and stop (a partial count).
  func pin(_ m: inout Model, from offset: UInt64) -> Outcome {
    let kind: HolderKind = event.words.contains(.longterm) ? .pinLongterm : .pin
    var page = event.pages.first + offset
    while page < event.pages.end {
      let f = m.memory.folio(of: page)
      m.memory.hold(f.index, actor: actor, kind: kind, count: 1, line: event.line, head: f.head)
      if !hook(&m, page: page, scope: m.policy.hook, asked: PageRange(first: page, count: 1)) {
        m.memory.release(f.index, actor: actor, kinds: [kind], count: 1, head: f.head)
        return .done
      }
      page += 1
    }
    return .done
  }

  // MARK: Lock and writeback

  func lock(_ m: inout Model) -> Outcome {
    let page = event.pages.first
    let f = m.memory.folio(of: page)
    if m.memory.folioFlags[f.index].contains(.locked) {
      return blocked(.unlock, page: page, folio: f.head, count: f.count, conversion: false, what: "lock of \(hex(page))", resumeAt: page)
    }
    m.memory.folioFlags[f.index].insert(.locked)
    m.memory.hold(f.index, actor: actor, kind: .lock, count: 1, line: event.line, head: f.head)
    return .done
  }

  func unlock(_ m: inout Model) -> Outcome {
    let page = event.pages.first
    let f = m.memory.folio(of: page)
    guard m.memory.held(f.index, actor: actor, kinds: [.lock]) > 0 else {
      let owner = m.memory.holders(of: f.index).first { $0.kind == .lock }.map { ", it is locked by \(m.actorName($0.actor)) since line \($0.line)" } ?? ", it is not locked"
      return failed("unlock \(hex(page)) by \(m.actorName(actor)), which does not hold the lock of folio \(hex(f.head))\(owner)")
    }
    m.memory.folioFlags[f.index].remove(.locked)
    m.memory.release(f.index, actor: actor, kinds: [.lock], count: 1, head: f.head)
    return .done
  }

  /// `__folio_start_writeback`: set PG_writeback, then `arch_make_folio_accessible`
  /// on the whole folio; a failure is VM_BUG_ON_FOLIO ("too late to recover").
  func writebackStart(_ m: inout Model, from offset: UInt64) -> Outcome {
    forEachFolio(&m, from: offset) { m, head, folio, count, part in
      if m.memory.folioFlags[folio].contains(.writeback) {
        return blocked(.writebackEnd, page: part.first, folio: head, count: count, conversion: false,
          what: "writeback-start of \(hex(part.first))", resumeAt: part.first)
      }
      m.memory.folioFlags[folio].insert(.writeback)
      m.memory.hold(folio, actor: actor, kind: .writeback, count: 1, line: event.line, head: head)
      if !hook(&m, page: head, scope: .folio, asked: part) {
        m.report(.bugOn, at: event, page: part.first, state: state(&m, part.first).name,
          message: "arch_make_folio_accessible failed in __folio_start_writeback for folio \(hex(head)): VM_BUG_ON_FOLIO, too late to recover")
      }
      return nil
    }
  }

  func writebackEnd(_ m: inout Model) -> Outcome {
    forEachFolio(&m, from: 0) { m, head, folio, _, part in
      guard m.memory.folioFlags[folio].contains(.writeback) else {
        return failed("writeback-end \(part): folio \(hex(head)) is not under writeback")
      }
      m.memory.folioFlags[folio].remove(.writeback)
      m.memory.release(folio, actor: nil, kinds: [.writeback], count: 1, head: head)
      return nil
    }
  }

  // MARK: Host CPU and explicit hook calls

  /// A host CPU access. On a secure page: PGM 0x3d, `do_secure_storage_access`
  /// takes a reference, calls the hook, drops it; on failure a kernel access
  /// BUGs and a user access gets SIGSEGV.
  func access(_ m: inout Model) -> Outcome {
    var page = event.pages.first
    while page < event.pages.end {
      if state(&m, page) == .secure {
        m.stats.add(.secureAccessFaults)
        if !hook(&m, page: page, scope: m.policy.hook, asked: PageRange(first: page, count: 1)) {
          let kernel = event.words.contains(.kernel)
          m.report(kernel ? .bugOn : .hostSigsegv, at: event, page: page, state: state(&m, page).name,
            message: kernel
              ? "kernel access to secure page \(hex(page)): do_secure_storage_access could not make it accessible and BUGs"
              : "user access to secure page \(hex(page)): do_secure_storage_access could not make it accessible, SIGSEGV")
        }
      }
      page += 1
    }
    return .done
  }

  /// An explicit `arch_make_folio_accessible` call from some kernel path. The
  /// caller must hold a marker first (Dave Hansen / Ulrich Weigand, 2020).
  func makeAccessible(_ m: inout Model) -> Outcome {
    let scope = m.policy.track == .folio ? .folio : (event.scope ?? m.policy.hook)
    return forEachFolio(&m, from: 0) { m, head, folio, _, part in
      if !m.memory.holdsMarker(folio, actor: actor) {
        m.report(.hookWithoutMarker, at: event, page: part.first, state: state(&m, part.first).name,
          message: "\(m.actorName(actor)) calls the hook on \(part) holding no reference, pin, lock or writeback on folio \(hex(head)): nothing keeps an import out until its I/O starts")
      }
      if scope == .folio {
        _ = hook(&m, page: part.first, scope: .folio, asked: part)
      } else {
        for page in part.first..<part.end {
          _ = hook(&m, page: page, scope: .page, asked: PageRange(first: page, count: 1))
        }
      }
      return nil
    }
  }

  /// Splits the folio into order-0 folios (needs extra == 0, no writeback, not locked).
  func split(_ m: inout Model) -> Outcome {
    let page = event.pages.first
    let f = m.memory.folio(of: page)
    guard f.count > 1 else { return .done }
    if let wait = conversionBlocker(&m, f, page: page, conversion: false, what: "split of folio \(hex(f.head))") {
      return wait
    }
    m.memory.split(f.index, head: f.head)
    m.stats.add(.splits)
    return .done
  }

  // MARK: Device I/O

  func dmaStart(_ m: inout Model) -> Outcome {
    if event.verb == .dmaStart, m.dmaWindows.contains(where: { $0.actor == actor && $0.id == event.id }) {
      let name = event.id >= 0 ? "id '\(m.symbols[Int(event.id)])'" : "a DMA without an id"
      return failed("dma-start by \(m.actorName(actor)): \(name) is already in flight; end it with dma-end first")
    }
    let mode = event.words.contains(.write) ? "write" : "read"
    let outcome = forEachFolio(&m, from: 0) { m, head, folio, _, part in
      for page in part.first..<part.end where state(&m, page) == .secure {
        m.report(.ioOnSecure, at: event, page: page, state: "secure",
          message: "device \(mode) by \(m.actorName(actor)) on secure page \(hex(page)): \(whyNotAccessible(&m, folio: folio, page: page))")
      }
      if !m.memory.hasMarker(folio) {
        m.report(.unprotectedIO, at: event, page: part.first, state: state(&m, part.first).name,
          message: "device I/O on \(part) while folio \(hex(head)) holds no reference, pin, writeback or lock: nothing keeps a concurrent import out")
      }
      return nil
    }
    if event.verb == .dmaStart {
      m.dmaWindows.append(DMAWindow(actor: actor, id: event.id, pages: event.pages, line: event.line, write: event.words.contains(.write)))
    }
    return outcome
  }

  /// Why a page a device touches is still secure, in kernel terms.
  func whyNotAccessible(_ m: inout Model, folio: Int, page: UInt64) -> String {
    let holders = m.memory.holders(of: folio)
    if let g = holders.first(where: { $0.kind == .get }) {
      return "the reference from get at line \(g.line) (\(m.actorName(g.actor))) takes no hook (FOLL_GET, try_get_page, splice do not call arch_make_folio_accessible)"
    }
    if let s = holders.first(where: { $0.kind == .speculative || $0.kind == .lru }) {
      return "only a transient reference (\(s.kind.verb) at line \(s.line)) is held and no hook ran"
    }
    if holders.isEmpty {
      return "nothing holds the folio and no hook made the page accessible since it was imported"
    }
    return "no hook made the page accessible since it was imported"
  }

  func dmaEnd(_ m: inout Model) -> Outcome {
    guard let w = m.dmaWindows.lastIndex(where: { $0.actor == actor && $0.id == event.id }) else {
      let name = event.id >= 0 ? "id '\(m.symbols[Int(event.id)])'" : "a DMA without an id"
      return failed("dma-end by \(m.actorName(actor)): \(name) is not in flight")
    }
    m.dmaWindows.remove(at: w)
    return .done
  }

  // MARK: Guest verbs

  /// A guest access: a nonsecure or exported page faults (PGM 0x3e) and is imported.
  func touch(_ m: inout Model, from offset: UInt64) -> Outcome {
    var page = event.pages.first + offset
    while page < event.pages.end {
      let s = state(&m, page)
      if s == .nonsecure || s == .exported, let stop = importPage(&m, page, why: "import") { return stop }
      page += 1
    }
    return .done
  }

  /// UVC SET_SHARED_ACCESS: import first if the guest does not own the page; secure -> shared.
  func share(_ m: inout Model, from offset: UInt64) -> Outcome {
    var page = event.pages.first + offset
    while page < event.pages.end {
      var s = state(&m, page)
      if !s.isGuestOwned {
        if let stop = importPage(&m, page, why: "import") { return stop }
        s = state(&m, page)
      }
      if s == .secure {
        let i = m.memory.index(of: page)
        setState(&m, index: i, page: page, .shared, why: "share")
      }
      page += 1
    }
    return .done
  }

  /// UVC REMOVE_SHARED_ACCESS: shared -> secure inside the UV; a pinned-shared
  /// page intercepts and the host imports it (UNPIN_PAGE_SHARED) with the import's waits.
  func unshare(_ m: inout Model, from offset: UInt64) -> Outcome {
    var page = event.pages.first + offset
    while page < event.pages.end {
      switch state(&m, page) {
      case .shared:
        let i = m.memory.index(of: page)
        setState(&m, index: i, page: page, .secure, why: "unshare")
      case .pinnedShared:
        if let stop = importPage(&m, page, why: "unshare intercept (UNPIN_PAGE_SHARED) import") { return stop }
      default:
        break
      }
      page += 1
    }
    return .done
  }

  // MARK: Other host verbs

  /// `ptep_get_and_clear`: a secure page is exported first; the mapping goes.
  func unmap(_ m: inout Model) -> Outcome {
    var page = event.pages.first
    while page < event.pages.end {
      let f = m.memory.folio(of: page)
      let i = f.index + Int(page - f.head)
      if m.memory.pageBits[i] & S390PV.unmapped == 0 {
        if state(m, index: i) == .secure {
          m.stats.call(.export)
          m.stats.add(.exports)
          setState(&m, index: i, page: page, .exported, why: "unmap")
          clearPageBit(&m, index: i)
          if m.policy.track == .folio { clearArchBit(&m, index: i, folio: f.index, count: f.count) }
        }
        m.memory.pageBits[i] |= S390PV.unmapped
      }
      page += 1
    }
    return .done
  }

  /// Teardown (UVC DESTR_SEC_STOR): the page becomes nonsecure, its bit clear.
  func destroy(_ m: inout Model) -> Outcome {
    var page = event.pages.first
    while page < event.pages.end {
      let f = m.memory.folio(of: page)
      let i = f.index + Int(page - f.head)
      if state(m, index: i).isGuestOwned {
        m.stats.call(.destroy)
        m.stats.add(.destroys)
      }
      setState(&m, index: i, page: page, .nonsecure, why: "destroy")
      clearPageBit(&m, index: i)
      if m.policy.track == .folio { clearArchBit(&m, index: i, folio: f.index, count: f.count) }
      page += 1
    }
    return .done
  }

  func inject(_ m: inout Model) -> Outcome {
    let n = event.count
    for page in event.pages.first..<event.pages.end {
      var j = m.injections[page] ?? Injection()
      switch event.failure ?? .export {
      case .export: j.export &+= n
      case .pinShared: j.pinShared &+= n
      case .import: j.import &+= n
      }
      m.injections[page] = j
    }
    return .done
  }
}
