// The reference model's s390-pv rules (docs/model-s390.md), without
// `kernel=`, `inject`, `unmap`, locks or bounded waits.

extension ReferenceModel {
  func applyS390(_ e: ReferenceEvent, from start: Int) -> ReferenceStep {
    let asked = Set(e.pages)
    switch e.verb {
    case "touch":
      for i in start..<e.pages.count {
        let p = e.pages[i]
        if ["nonsecure", "exported"].contains(pages[p]!.state) {
          let r = importPage(p, unpin: false)
          if case .done = r { continue }
          return resume(r, at: i)
        }
      }
    case "share":
      for i in start..<e.pages.count {
        let p = e.pages[i]
        if ["nonsecure", "exported"].contains(pages[p]!.state) {
          let r = importPage(p, unpin: false)
          if case .done = r {} else { return resume(r, at: i) }
        }
        if pages[p]!.state == "secure" { pages[p]!.state = "shared" }
      }
    case "unshare":
      for i in start..<e.pages.count {
        let p = e.pages[i]
        switch pages[p]!.state {
        case "shared":
          pages[p]!.state = "secure"
          reportOpenWindows(on: p)
        case "pinned-shared":
          let r = importPage(p, unpin: true)
          if case .done = r { continue }
          return resume(r, at: i)
        default: break
        }
      }
    case "pin":
      for p in e.pages {
        take(e.actor, e.words.contains("longterm") ? "pin-longterm" : "pin", p)
        hook(p, folioScope: hookFolio, asked: asked)
      }
    case "access":
      for p in e.pages where pages[p]!.state == "secure" {
        take(e.actor, "fault", p)
        hook(p, folioScope: hookFolio, asked: asked)
        release(e.actor, ["fault"], p)
        add("secure-access-faults")
      }
    case "make-accessible":
      var warned: Set<UInt64> = []
      let scope = e.options["scope"].map { $0 == "folio" } ?? hookFolio
      for p in e.pages {
        if !holds(e.actor, p), warned.insert(headOf[p]!).inserted { report("hook-without-marker") }
        hook(p, folioScope: scope, asked: asked)
      }
    case "destroy":
      for p in e.pages {
        if ["secure", "shared", "pinned-shared"].contains(pages[p]!.state) { add("destroys") }
        pages[p]!.state = "nonsecure"
        pages[p]!.bit = false
        call("destroy")
        let f = folio(of: p)
        if !f.pages.contains(where: { ["secure", "shared", "pinned-shared"].contains(pages[$0]!.state) }) {
          folios[f.first]!.bit = false
        }
      }
    default:
      preconditionFailure("reference model: verb \(e.verb) is not in the differential subset")
    }
    return .done
  }

  func resume(_ r: ReferenceStep, at i: Int) -> ReferenceStep {
    if case .blocked(let w, _) = r { return .blocked(w, resume: i) }
    return r
  }

  /// Import step 1-5 (`make_folio_secure()`), or the host side of an unshare
  /// of a pinned-shared page (UNPIN_PAGE_SHARED).
  func importPage(_ p: UInt64, unpin: Bool) -> ReferenceStep {
    if folio(of: p).order > 0 {
      switch large {
      case "refuse": return .kill
      case "split":
        if let w = conversionBlock(p) {
          add("import-retries")
          return .blocked(w, resume: 0)
        }
        split(p)
      default: break
      }
    }
    if let w = conversionBlock(p) {
      add("import-retries")
      return .blocked(w, resume: 0)
    }
    if trackFolio { update(p) { $0.bit = true } } else { pages[p]!.bit = true }
    pages[p]!.state = "secure"
    add("imports")
    call("import")
    reportOpenWindows(on: p)
    return .done
  }

  /// What keeps a folio from being frozen: its lock, writeback, or extra
  /// references after draining the LRU batches when one of them holds it.
  func conversionBlock(_ p: UInt64, conversion: Bool = true) -> ReferenceWait? {
    let f = folio(of: p)
    if f.lock != nil { return ReferenceWait(condition: "unlock", page: p, conversion: conversion) }
    if f.writeback != nil { return ReferenceWait(condition: "writeback-end", page: p, conversion: conversion) }
    if extra(p) > 0 {
      drainAll()
      add("lru-drains")
    }
    if extra(p) > 0 { return ReferenceWait(condition: "references", page: p, conversion: conversion) }
    return nil
  }

  /// `arch_make_folio_accessible()` on one page, or on its whole folio.
  func hook(_ p: UInt64, folioScope: Bool, asked: Set<UInt64>) {
    let f = folio(of: p)
    if trackFolio {
      guard f.bit else { return }
      for q in f.pages { hookPage(q, asked: asked) }
      if !f.pages.contains(where: { pages[$0]!.state == "secure" }) { folios[f.first]!.bit = false }
      return
    }
    for q in folioScope ? f.pages : [p] where pages[q]!.bit {
      hookPage(q, asked: asked)
      pages[q]!.bit = false
    }
  }

  /// Pin shared, else export (a no-op call on a page that is not secure).
  func hookPage(_ q: UInt64, asked: Set<UInt64>) {
    let state = pages[q]!.state
    call("pin-shared")
    if state == "shared" || state == "pinned-shared" {
      if state == "shared" {
        add("pin-shared")
        if !asked.contains(q) { add("collateral-pins") }
      }
      pages[q]!.state = "pinned-shared"
    } else if state == "secure" {
      call("export")
      add("exports")
      if !asked.contains(q) { add("collateral-exports") }
      pages[q]!.state = "exported"
    } else {
      call("no-op")
      add("spurious-uv-calls", 2)
    }
  }
}
