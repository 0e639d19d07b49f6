// The reference model's sev and sev-snp rules (docs/model-sev.md) for
// order-0 folios: conversions with both gmem modes, the C-bit, PVALIDATE,
// host access, DMA. No locks, TLB deferral, mprotect, split-pmd or large
// folios.

extension ReferenceModel {
  var snp: Bool { arch == "sev-snp" }

  /// Whether the page follows mainline guest_memfd (two pages per gfn).
  func separate(_ p: UInt64) -> Bool { snp && !gmemInPlace && pages[p]!.backing == "gmem" }

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
        }
        guard snp, pages[p]!.isPrivate else { continue }
        if separate(p), pages[p]!.rmp == "hv" {
          pages[p]!.rmp = "assigned"
          call("rmpupdate")
        }
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
        if separate(p), pages[p]!.isPrivate, pages[p]!.rmp == "hv" {
          pages[p]!.rmp = "assigned"
          call("rmpupdate")
        }
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
          report("ciphertext-access")
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
    for i in start..<e.pages.count {
      let r = convertPage(e.pages[i], toPrivate: toPrivate, implicit: implicit)
      if case .done = r { continue }
      return resume(r, at: i)
    }
    return .done
  }

  /// One order-0 page through `KVM_SET_MEMORY_ATTRIBUTES` (and, for memory
  /// that is not mainline guest_memfd, the in-place series' checks).
  func convertPage(_ p: UInt64, toPrivate: Bool, implicit: Bool) -> ReferenceStep {
    if pages[p]!.isPrivate == toPrivate { return .done }
    if !separate(p) {
      let f = folio(of: p)
      if f.lock != nil || f.writeback != nil {
        add("conversion-retries")
        return .blocked(ReferenceWait(condition: f.lock != nil ? "unlock" : "writeback-end", page: p), resume: 0)
      }
      if toPrivate {
        var zapped = false
        for a in tlb.keys.sorted() where tlb[a]!.contains(p) {
          tlb[a]!.remove(p)
          zapped = true
        }
        if zapped { call("tlb-flush") }
        if extra(p) > 0 && !requestDrained && f.order == 0 {
          requestDrained = true
          drainAll()
          add("lru-drains")
        }
        if extra(p) > 0 {
          add("conversion-retries")
          return .blocked(ReferenceWait(condition: "references", page: p), resume: 0)
        }
        if snp {
          pages[p]!.rmp = "assigned"
          call("rmpupdate")
        }
      } else if snp {
        if pages[p]!.rmp == "valid" { report("validation-not-rescinded") }
        if pages[p]!.rmp != "hv" {
          pages[p]!.rmp = "hv"
          call("rmpupdate")
        }
      }
    } else if !toPrivate, pages[p]!.rmp == "valid" {
      report("validation-not-rescinded")
    }
    pages[p]!.isPrivate = toPrivate
    add("conversions")
    if implicit { add("implicit-conversions") }
    if toPrivate && isSecure(p) { reportOpenWindows(on: p) }
    return .done
  }
}
