// The reference model's sev and sev-snp rules (docs/model-sev.md) for
// order-0 folios: conversions with both gmem modes, the C-bit, PVALIDATE,
// host access, DMA. No locks, TLB deferral, mprotect, split-pmd or large
// folios.

extension ReferenceModel {
  var snp: Bool { arch == "sev-snp" }

  /// Whether the page follows mainline guest_memfd (two pages per gfn).
  func separate(_ p: UInt64) -> Bool { snp && !gmemInPlace && pages[p]!.backing == "gmem" }

  /// `sev_gmem_prepare()` at a guest_memfd fault: a private page whose entry
  /// is hypervisor-owned (never prepared, or freed by a hole punch) is assigned.
  func prepare(_ p: UInt64) {
    guard snp, pages[p]!.backing == "gmem", pages[p]!.isPrivate, pages[p]!.rmp == "hv" else { return }
    pages[p]!.rmp = "assigned"
    call("rmpupdate")
  }

  func applySEV(_ e: ReferenceEvent, from start: Int) -> ReferenceStep {
    requestDrained = false
    switch e.verb {
    case "psc", "convert":
      return convert(e, toPrivate: e.words.contains("private"), from: start, implicit: false)
    case "touch":
      for i in start..<e.pages.count {
        let p = e.pages[i]
        let enc = e.options["c"].map { $0 == "enc" } ?? pages[p]!.enc
        if enc != pages[p]!.isPrivate {
          if !snp {
            report("cbit-mismatch")
            continue
          }
          let r = convertPage(p, toPrivate: enc, implicit: true)
          if case .done = r {} else { return resume(r, at: i) }
          if pages[p]!.isPrivate != enc { continue }  // refused
        }
        guard snp, pages[p]!.isPrivate else { continue }
        prepare(p)
        if pages[p]!.rmp == "assigned" { report("unvalidated-access") }
      }
    case "pvalidate":
      let on = e.words.contains("on")
      for i in start..<e.pages.count {
        let p = e.pages[i]
        // A private access: a shared gfn exits with KVM_EXIT_MEMORY_FAULT and
        // the VMM converts it first.
        if !pages[p]!.isPrivate {
          let r = convertPage(p, toPrivate: true, implicit: true)
          if case .done = r {} else { return resume(r, at: i) }
        }
        prepare(p)
        let hostOwned = separate(p) ? !pages[p]!.isPrivate || pages[p]!.rmp == "hv" : pages[p]!.rmp == "hv"
        if on {
          if hostOwned {
            report("pvalidate-failed")
          } else if pages[p]!.rmp == "assigned" {
            pages[p]!.rmp = "valid"
          }
        } else if !hostOwned && pages[p]!.rmp == "valid" {
          pages[p]!.rmp = "assigned"
        }
      }
    case "gpte":
      for p in e.pages { pages[p]!.enc = e.words.contains("enc") }
    case "pin":
      for p in e.pages { take(e.actor, e.words.contains("longterm") ? "pin-longterm" : "pin", p) }
    case "access":
      let write = e.words.contains("write")
      for p in e.pages {
        if separate(p) || !pages[p]!.isPrivate {
          tlb[e.actor, default: []].insert(p)
          continue
        }
        if !e.words.contains("kernel") && pages[p]!.backing == "gmem" {
          add("host-sigbus")
        } else if snp && write {
          report("rmp-fault")
        } else {
          report("ciphertext-access", error: write && !snp)
        }
      }
    case "unmap":
      // guest_memfd's hole punch: `sev_gmem_invalidate()` on each assigned page.
      for p in e.pages where pages[p]!.rmp != "hv" {
        pages[p]!.rmp = "hv"
        call("rmpupdate")
      }
    default:
      preconditionFailure("reference model: verb \(e.verb) is not in the differential subset")
    }
    return .done
  }

  func convert(_ e: ReferenceEvent, toPrivate: Bool, from start: Int, implicit: Bool) -> ReferenceStep {
    convertRange(e.pages, from: start, toPrivate: toPrivate, implicit: implicit)
  }

  func convertPage(_ p: UInt64, toPrivate: Bool, implicit: Bool) -> ReferenceStep {
    convertRange([p], from: 0, toPrivate: toPrivate, implicit: implicit)
  }

  /// A conversion, folio by folio; a wait resumes at the folio it blocked on.
  func convertRange(_ ps: [UInt64], from start: Int, toPrivate: Bool, implicit: Bool) -> ReferenceStep {
    var i = start
    while i < ps.count {
      let head = headOf[ps[i]]!
      var j = i
      while j < ps.count && headOf[ps[j]] == head { j += 1 }
      let r = convertPart(Array(ps[i..<j]), toPrivate: toPrivate, implicit: implicit)
      if case .done = r {} else { return resume(r, at: i) }
      i = j
    }
    return .done
  }

  /// The pages of one folio through `KVM_SET_MEMORY_ATTRIBUTES` (and, for
  /// memory that is not mainline guest_memfd, the in-place series' checks).
  func convertPart(_ part: [UInt64], toPrivate: Bool, implicit: Bool) -> ReferenceStep {
    guard part.contains(where: { pages[$0]!.isPrivate != toPrivate }) else { return .done }
    func changeAttribute(_ scope: [UInt64]) -> [UInt64] {
      let changed = scope.filter { pages[$0]!.isPrivate != toPrivate }
      for p in changed {
        pages[p]!.isPrivate = toPrivate
        add("conversions")
        if implicit { add("implicit-conversions") }
        if toPrivate && isSecure(p) { reportOpenWindows(on: p) }
      }
      return changed
    }
    if separate(part[0]) {
      if !toPrivate && part.contains(where: { pages[$0]!.rmp == "valid" }) { report("validation-not-rescinded") }
      _ = changeAttribute(part)
      return .done
    }
    let f = folio(of: part[0])
    let p = part[0]
    if f.lock != nil || f.writeback != nil {
      add("conversion-retries")
      return .blocked(ReferenceWait(condition: f.lock != nil ? "unlock" : "writeback-end", page: p, conversion: true), resume: 0)
    }
    var scope = part
    var needSplit = false
    var refused = false
    if f.order > 0 && part.count < f.pages.count {
      switch large {
      case "refuse": refused = true
      case "split": needSplit = true
      default: if trackFolio { scope = f.pages }
      }
    }
    if toPrivate {
      var zapped = false
      for q in scope where !pages[q]!.isPrivate {
        for a in tlb.keys.sorted() where tlb[a]!.contains(q) {
          tlb[a]!.remove(q)
          zapped = true
        }
      }
      if zapped { call("tlb-flush") }
      if let w = safeRefcount(p) { return w }
    }
    if needSplit, let w = safeRefcount(p) { return w }
    if !toPrivate && snp && part.contains(where: { pages[$0]!.rmp == "valid" }) { report("validation-not-rescinded") }
    if refused {
      report("conversion-failed")
      return .done
    }
    if needSplit {
      splitFrom[f.first] = f.order
      split(p)
    }
    if snp {
      for q in scope where pages[q]!.isPrivate != toPrivate {
        if toPrivate {
          pages[q]!.rmp = "assigned"
          call("rmpupdate")
        } else if pages[q]!.rmp != "hv" {
          pages[q]!.rmp = "hv"
          call("rmpupdate")
        }
      }
    }
    let changed = changeAttribute(scope)
    let collateral = changed.filter { !part.contains($0) }.count
    if collateral > 0 {
      add("collateral-conversions", Double(collateral))
      if !toPrivate { report("collateral-share") }
    }
    if large == "split" && merge { tryMerge(around: p) }
    return .done
  }

  /// The safe-refcount check: extra references on the folio → drain once per
  /// request (order 0 only), then -EAGAIN and a wait.
  func safeRefcount(_ p: UInt64) -> ReferenceStep? {
    guard extra(p) > 0 else { return nil }
    if !requestDrained && folio(of: p).order == 0 {
      requestDrained = true
      drainAll()
      add("lru-drains")
    }
    guard extra(p) > 0 else { return nil }
    add("conversion-retries")
    return .blocked(ReferenceWait(condition: "references", page: p, conversion: true), resume: 0)
  }

  /// A folio split by a conversion is merged back when every page of it is
  /// private and none of its pieces holds a reference, the lock or writeback.
  func tryMerge(around p: UInt64) {
    for (head, order) in splitFrom {
      let range = (0..<(UInt64(1) << order)).map { head + $0 }
      guard range.contains(p) else { continue }
      guard range.allSatisfy({ pages[$0]!.isPrivate }),
        range.allSatisfy({ let f = folio(of: $0); return f.holders.isEmpty && f.lock == nil && f.writeback == nil })
      else { return }
      splitFrom[head] = nil
      folios[head] = ReferenceFolio(first: head, order: order, bit: folios[head]!.bit)
      for q in range {
        if q != head { folios[q] = nil }
        headOf[q] = head
      }
      add("merges")
      return
    }
  }
}
