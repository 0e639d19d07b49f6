import PageStateTrace

extension S390Step {
  /// Applies the event. Always inlined into `S390PV.apply`, so the verbs
  /// write their outcome straight into the caller's.
  @inline(__always)
  func run(from offset: UInt64, _ m: inout Model) -> Outcome {
    if let outcome = runShared(&m) { return outcome }
    switch event.verb {
    case .pin: return pin(&m, from: offset)
    case .writebackStart: return writebackStart(&m, from: offset)
    case .access: return access(&m)
    case .makeAccessible: return makeAccessible(&m)
    case .flush:
      m.stats.add(.tlbFlushes)
      m.stats.call(.tlbFlush)
      return .done
    case .dmaStart, .dma: return dmaStart(&m)
    case .touch: return touch(&m, from: offset)
    case .share: return share(&m, from: offset)
    case .unshare: return unshare(&m, from: offset)
    case .unmap: return unmap(&m)
    case .destroy: return destroy(&m)
    case .inject: return inject(&m)
    case .psc, .pvalidate, .gpte, .mprotect, .splitPMD, .convert:
      return failed("verb '\(event.verb.name)' does not exist for arch s390-pv")
    default:
      preconditionFailure("\(event.verb.name) is a shared verb")
    }
  }

  // MARK: References

  /// `pin_user_pages` (FOLL_PIN): take the pin, then the hook per the `hook`
  /// knob; on failure drop that page's pin and stop (a partial count).
  func pin(_ m: inout Model, from offset: UInt64) -> Outcome {
    let kind: HolderKind = event.words.contains(.longterm) ? .pinLongterm : .pin
    var page = event.pages.first + offset
    while page < event.pages.end {
      let f = m.memory.folio(of: page)
      m.memory.hold(f.index, actor: actor, kind: kind, count: 1, line: event.line, head: f.head)
      if !hook(&m, page: page, scope: m.policy.hook, asked: PageRange(first: page, count: 1)) {
        m.memory.release(f.index, actor: actor, kinds: HolderKinds(kind), count: 1, head: f.head)
        return .done
      }
      page += 1
    }
    return .done
  }

  // MARK: Lock and writeback

  /// `__folio_start_writeback`: set PG_writeback, then `arch_make_folio_accessible`
  /// on the whole folio; a failure is VM_BUG_ON_FOLIO ("too late to recover").
  func writebackStart(_ m: inout Model, from offset: UInt64) -> Outcome {
    forEachFolio(&m, from: offset) { m, head, folio, count, part in
      if m.memory.entries[folio].flags.contains(.writeback) {
        return blocked(.writebackEnd, page: part.first, folio: head, count: count, conversion: false,
          what: .ofPage("writeback-start", part.first), resumeAt: part.first)
      }
      m.memory.entries[folio].flags.insert(.writeback)
      m.memory.hold(folio, actor: actor, kind: .writeback, count: 1, line: event.line, head: head)
      if !hook(&m, page: head, scope: .folio, asked: part) {
        m.report(.bugOn, at: event, page: part.first) { m in
          (state(&m, part.first).name, "arch_make_folio_accessible failed in __folio_start_writeback for folio \(hex(head)): VM_BUG_ON_FOLIO, too late to recover")
        }
      }
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
        if event.words.contains(.kernel), let r = m.policy.kernel, r.kernelFaultExports {
          kernelFaultExport(&m, page: page)
        } else if !hook(&m, page: page, scope: m.policy.hook, asked: PageRange(first: page, count: 1)) {
          let kernel = event.words.contains(.kernel)
          m.report(kernel ? .bugOn : .hostSigsegv, at: event, page: page) { m in
            (state(&m, page).name, kernel
              ? "kernel access to secure page \(hex(page)): do_secure_storage_access could not make it accessible and BUGs"
              : "user access to secure page \(hex(page)): do_secure_storage_access could not make it accessible, SIGSEGV")
          }
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
        m.report(.hookWithoutMarker, at: event, page: part.first) { m in
          (state(&m, part.first).name, "\(m.actorName(actor)) calls the hook on \(part) holding no reference, pin, lock or writeback on folio \(hex(head)): nothing keeps an import out until its I/O starts")
        }
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

  // MARK: Device I/O

  func dmaStart(_ m: inout Model) -> Outcome {
    deviceIO(&m, protected: "secure", isProtected: { m, page in state(&m, page) == .secure },
      stateName: { m, page in state(&m, page).name }, explain: { m, folio, page in whyNotAccessible(&m, folio: folio, page: page) })
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

  // MARK: Guest verbs

  /// A guest access: a nonsecure or exported page faults (PGM 0x3e) and is imported.
  func touch(_ m: inout Model, from offset: UInt64) -> Outcome {
    var page = event.pages.first + offset
    while page < event.pages.end {
      let i = m.memory.index(of: page)
      let s = state(&m, index: i)
      if s == .nonsecure || s == .exported, let stop = importPage(&m, page, index: i, why: "import") { return stop }
      page += 1
    }
    return .done
  }

  /// UVC SET_SHARED_ACCESS: import first if the guest does not own the page; secure -> shared.
  func share(_ m: inout Model, from offset: UInt64) -> Outcome {
    var page = event.pages.first + offset
    while page < event.pages.end {
      let i = m.memory.index(of: page)
      var s = state(&m, index: i)
      if !s.isGuestOwned {
        if let stop = importPage(&m, page, index: i, why: "import") { return stop }
        s = state(&m, index: i)
      }
      if s == .secure {
        setState(&m, index: i, page: page, .shared, why: .named("share"))
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
      let i = m.memory.index(of: page)
      switch state(&m, index: i) {
      case .shared:
        setState(&m, index: i, page: page, .secure, why: .named("unshare"))
      case .pinnedShared:
        if let stop = importPage(&m, page, index: i, why: "unshare intercept (UNPIN_PAGE_SHARED) import") { return stop }
      default:
        break
      }
      page += 1
    }
    return .done
  }

  // MARK: Other host verbs

  /// `ptep_get_and_clear()` (`arch/s390/include/asm/pgtable.h`): for every
  /// present PTE of a protected mm, `uv_convert_from_secure_pte()` (an
  /// export UV call, whatever the page's state: `kernelUnmapExport`); then
  /// the mapping goes. Unmapping an unmapped page does nothing.
  func unmap(_ m: inout Model) -> Outcome {
    var page = event.pages.first
    while page < event.pages.end {
      let f = m.memory.folio(of: page)
      let i = f.index + Int(page - f.head)
      if m.memory.entries[i].bits & S390PV.unmapped == 0 {
        kernelUnmapExport(&m, index: i, page: page, folio: f)
        m.memory.entries[i].bits |= S390PV.unmapped
      }
      page += 1
    }
    return .done
  }

  /// Teardown: `s390_uv_destroy_range()` and `ptep_get_and_clear_full()` ->
  /// `uv_destroy_pte()` call `uv_destroy_folio()` (UVC DESTR_SEC_STOR) for
  /// every page; the page becomes nonsecure and its bit is cleared.
  /// `destroys` counts the pages the UV held (secure, shared, pinned-shared).
  func destroy(_ m: inout Model) -> Outcome {
    var page = event.pages.first
    while page < event.pages.end {
      let f = m.memory.folio(of: page)
      let i = f.index + Int(page - f.head)
      m.stats.call(.destroy)
      if state(&m, index: i).isGuestOwned { m.stats.add(.destroys) }
      setState(&m, index: i, page: page, .nonsecure, why: .named("destroy"))
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
      case .importError: j.importError &+= n
      }
      m.injections[page] = j
    }
    return .done
  }
}
