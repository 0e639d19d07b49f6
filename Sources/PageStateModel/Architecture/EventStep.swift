import PageStateTrace

/// One event being applied: the paths every architecture shares (references,
/// pins, the folio lock, writeback's end, splits, DMA bookkeeping) and the
/// helpers an architecture's own paths use.
protocol EventStep {
  var event: Event { get }
}

extension EventStep {
  var actor: Int32 { event.actor }

  // MARK: Helpers

  /// Calls `body` for each folio the pages `from..<end` touch, with the part of the range in it.
  /// Always inlined: the body is then inlined too, instead of being called through a closure
  /// context per folio.
  @inline(__always)
  func forEachFolio(_ m: inout Model, from offset: UInt64, _ body: (inout Model, _ head: UInt64, _ folio: Int, _ count: Int, _ part: PageRange) -> Outcome?) -> Outcome {
    var page = event.pages.first + offset
    let end = event.pages.end
    while page < end {
      let f = m.memory.folio(of: page)
      let partEnd = min(end, f.head + UInt64(f.count))
      if let o = body(&m, f.head, f.index, f.count, PageRange(first: page, count: partEnd - page)) { return o }
      page = partEnd
    }
    return .done
  }

  func blocked(_ condition: Wait.Condition, page: UInt64, folio head: UInt64, count: Int, conversion: Bool, what: Action, resumeAt page0: UInt64) -> Outcome {
    .blocked(
      Wait(condition: condition, page: page, folio: PageRange(first: head, count: UInt64(count)), isConversion: conversion, action: what),
      resumeAt: page0 - event.pages.first)
  }

  func failed(_ message: String) -> Outcome { .failed(message) }

  // MARK: Shared paths

  /// The verbs every architecture applies the same way: references, the
  /// folio lock, LRU drains, the end of writeback, splits, DMA ends and
  /// notes. Nil for the verbs an architecture decides itself.
  /// Always inlined into the architecture's `run`: the optional outcome and
  /// the second switch then fold away (an outlined call copied a 112-byte
  /// `Outcome?` per event).
  @inline(__always)
  func runShared(_ m: inout Model) -> Outcome? {
    switch event.verb {
    case .get: return reference(&m, kind: .get)
    case .lruAdd: return reference(&m, kind: .lru)
    case .specGet: return reference(&m, kind: .speculative)
    case .put: return release(&m, kinds: .get, what: "put", holds: "plain references (get)")
    case .specPut: return release(&m, kinds: .speculative, what: "spec-put", holds: "speculative references (spec-get)")
    case .unpin: return release(&m, kinds: .pins, what: "unpin", holds: "pins")
    case .lock: return lock(&m)
    case .unlock: return unlock(&m)
    case .lruDrain:
      m.memory.drainLRU()
      return .done
    case .writebackEnd: return writebackEnd(&m)
    case .split: return split(&m)
    case .note: return .done
    case .dmaEnd: return dmaEnd(&m)
    default: return nil
    }
  }


  func reference(_ m: inout Model, kind: HolderKind) -> Outcome {
    forEachFolio(&m, from: 0) { m, head, folio, _, part in
      m.memory.hold(folio, actor: actor, kind: kind, count: UInt32(part.count), line: event.line, head: head)
      return nil
    }
  }


  func release(_ m: inout Model, kinds: HolderKinds, what: StaticString, holds: StaticString) -> Outcome {
    forEachFolio(&m, from: 0) { m, head, folio, _, part in
      let have = m.memory.held(folio, actor: actor, kinds: kinds)
      guard have >= part.count else {
        return failed(have == 0
          ? "\(what) \(part) by \(m.actorName(actor)), which holds no \(holds) on folio \(hex(head))"
          : "\(what) \(part) by \(m.actorName(actor)) drops \(part.count) \(holds), but it holds only \(have) on folio \(hex(head))")
      }
      // Kinds in order of preference, which is `HolderKind` order (lowest
      // bit first): `unpin` drops short-term pins before a long-term one (the
      // long-term pin is the device's, released last).
      var remaining = UInt32(part.count)
      var rest = kinds.rawValue
      while rest != 0 && remaining > 0 {
        let kind = HolderKinds(rawValue: rest & (~rest &+ 1))
        rest &= rest &- 1
        remaining -= m.memory.release(folio, actor: actor, kinds: kind, count: remaining, head: head)
      }
      return nil
    }
  }


  func lock(_ m: inout Model) -> Outcome {
    let page = event.pages.first
    let f = m.memory.folio(of: page)
    if m.memory.entries[f.index].flags.contains(.locked) {
      return blocked(.unlock, page: page, folio: f.head, count: f.count, conversion: false, what: .ofPage("lock", page), resumeAt: page)
    }
    m.memory.entries[f.index].flags.insert(.locked)
    m.memory.hold(f.index, actor: actor, kind: .lock, count: 1, line: event.line, head: f.head)
    return .done
  }


  func unlock(_ m: inout Model) -> Outcome {
    let page = event.pages.first
    let f = m.memory.folio(of: page)
    guard m.memory.held(f.index, actor: actor, kinds: HolderKinds.lock) > 0 else {
      let owner = m.memory.holders(of: f.index).first { $0.kind == .lock }.map { ", it is locked by \(m.actorName($0.actor)) since line \($0.line)" } ?? ", it is not locked"
      return failed("unlock \(hex(page)) by \(m.actorName(actor)), which does not hold the lock of folio \(hex(f.head))\(owner)")
    }
    m.memory.entries[f.index].flags.remove(.locked)
    m.memory.release(f.index, actor: actor, kinds: HolderKinds.lock, count: 1, head: f.head)
    return .done
  }


  func writebackEnd(_ m: inout Model) -> Outcome {
    forEachFolio(&m, from: 0) { m, head, folio, _, part in
      guard m.memory.entries[folio].flags.contains(.writeback) else {
        return failed("writeback-end \(part): folio \(hex(head)) is not under writeback")
      }
      m.memory.entries[folio].flags.remove(.writeback)
      m.memory.release(folio, actor: nil, kinds: HolderKinds.writeback, count: 1, head: head)
      return nil
    }
  }


  /// Splits the folio into order-0 folios (needs extra == 0, no writeback, not locked).
  func split(_ m: inout Model) -> Outcome {
    let page = event.pages.first
    let f = m.memory.folio(of: page)
    guard f.count > 1 else { return .done }
    if let wait = conversionBlocker(&m, f, page: page, conversion: false, what: .split(folio: f.head)) {
      return wait
    }
    m.memory.split(f.index, head: f.head)
    m.stats.add(.splits)
    return .done
  }


  func dmaEnd(_ m: inout Model) -> Outcome {
    guard let w = m.window(actor: actor, id: event.id) else {
      let name = event.id >= 0 ? "id '\(m.symbols[Int(event.id)])'" : "a DMA without an id"
      return failed("dma-end by \(m.actorName(actor)): \(name) is not in flight")
    }
    m.closeWindow(at: w)
    return .done
  }


  /// Steps 2-4 of `make_folio_secure`: the folio lock (-EAGAIN), writeback
  /// (-EAGAIN), and the refcount freeze at `expected_folio_refs()` (-EBUSY,
  /// after `lru_add_drain_all()`). Returns the wait, or nil if the folio is free.
  func conversionBlocker(_ m: inout Model, _ f: (head: UInt64, index: Int, count: Int), page: UInt64, conversion: Bool, what: Action) -> Outcome? {
    let flags = m.memory.entries[f.index].flags
    if flags.contains(.locked) {
      return blocked(.unlock, page: page, folio: f.head, count: f.count, conversion: conversion, what: what, resumeAt: page)
    }
    if flags.contains(.writeback) {
      return blocked(.writebackEnd, page: page, folio: f.head, count: f.count, conversion: conversion, what: what, resumeAt: page)
    }
    if m.memory.entries[f.index].extra > 0 {
      // `lru_add_drain_all()` on every attempt that cannot freeze the
      // refcount (-EBUSY), whether or not a batch holds the folio.
      if m.policy.drain {
        m.memory.drainLRU()
        m.stats.add(.lruDrains)
      }
      if m.memory.entries[f.index].extra > 0 {
        return blocked(.references, page: page, folio: f.head, count: f.count, conversion: conversion, what: what, resumeAt: page)
      }
    }
    return nil
  }

  /// Device I/O (`dma-start`, `dma`): a protected page (s390 secure, SEV
  /// private) is `io-on-secure`, one finding per page; a folio holding no
  /// marker is `unprotected-io`, one per folio. `dma-start` opens a window.
  /// Always inlined, so the architecture's closures are too.
  @inline(__always)
  func deviceIO(
    _ m: inout Model, protected: String, isProtected: (inout Model, UInt64) -> Bool,
    stateName: (inout Model, UInt64) -> String, explain: (inout Model, Int, UInt64) -> String
  ) -> Outcome {
    if event.verb == .dmaStart, m.window(actor: actor, id: event.id) != nil {
      let name = event.id >= 0 ? "id '\(m.symbols[Int(event.id)])'" : "a DMA without an id"
      return failed("dma-start by \(m.actorName(actor)): \(name) is already in flight; end it with dma-end first")
    }
    let outcome = forEachFolio(&m, from: 0) { m, head, folio, _, part in
      // The first page the device may reach (not protected): only such an
      // I/O is allowed, and only it can be unprotected (findings.md: "otherwise
      // allowed; if the folio holds no marker").
      var allowed: UInt64? = nil
      for page in part.first..<part.end {
        guard isProtected(&m, page) else {
          if allowed == nil { allowed = page }
          continue
        }
        m.report(.ioOnSecure, at: event, page: page) { m in
          let mode = event.words.contains(.write) ? "write" : "read"
          return (stateName(&m, page), "device \(mode) by \(m.actorName(actor)) on \(protected) page \(hex(page)): \(explain(&m, folio, page))")
        }
      }
      if let first = allowed, !m.memory.hasMarker(folio) {
        m.report(.unprotectedIO, at: event, page: first) { m in
          (stateName(&m, first), "device I/O on \(part) while folio \(hex(head)) holds no reference, pin, writeback or lock: nothing keeps a concurrent conversion out")
        }
      }
      return nil
    }
    if event.verb == .dmaStart {
      m.openWindow(DMAWindow(actor: actor, id: event.id, pages: event.pages, line: event.line, write: event.words.contains(.write)))
    }
    return outcome
  }
}
