import PageStateTrace

/// `gmem=separate` (mainline guest_memfd, sev-snp, `backing=gmem`): a gfn has
/// two physical pages, the shared one (ordinary VMM memory, which the page's
/// references, pins, TLB entries and DMA reach) and the private one (an
/// order-0 guest_memfd folio, which only the guest reaches through the NPT).
/// A conversion only flips KVM's memory attribute
/// (`kvm_vm_set_mem_attributes()` → `kvm_mmu_unmap_gfn_range()` zaps the
/// NPT); the RMP changes lazily, at the guest's next fault
/// (`sev_gmem_prepare()`) and when guest_memfd frees the page
/// (`sev_gmem_invalidate()`).
extension SEVStep {
  /// The page follows mainline's separate-page rules.
  @inline(__always)
  func isSeparate(_ m: inout Model, _ page: UInt64) -> Bool {
    snp && m.policy.gmem == .separate && backing(&m, page) == .gmem
  }

  /// A conversion under `gmem=separate`: the attribute changes, nothing else.
  /// No folio lock, writeback or reference check (the shared page's
  /// references and pins are the VMM's and are not looked at), no host TLB
  /// zap (the host maps the shared page, which stays), no split or merge
  /// (order-0 folios), no RMPUPDATE (deferred to `prepare` and
  /// `invalidate`). Pins held on the shared page stay there: DMA through them
  /// reaches the now-stale shared page, never private memory.
  func convertSeparate(_ m: inout Model, _ part: PageRange, toPrivate: Bool, implicit: Bool) {
    let target: UInt8 = toPrivate ? SEVPage.private : 0
    if !toPrivate { reportStillValidated(&m, part) }
    var converted: UInt64 = 0
    for p in part.first..<part.end where bits(&m, p) & SEVPage.private != target {
      update(&m, p) { $0 = ($0 & ~SEVPage.private) | target }
      converted += 1
    }
    m.stats.add(.conversions, converted)
    if implicit { m.stats.add(.implicitConversions, converted) }
  }

  /// The guest's fault on a private gfn: `kvm_mmu_faultin_pfn()` →
  /// `kvm_mmu_faultin_pfn_gmem()` (formerly `kvm_mmu_faultin_pfn_private()`)
  /// → `kvm_gmem_get_pfn()`, which prepares
  /// a folio not yet up to date with `sev_gmem_prepare()`: an RMP entry
  /// still hypervisor-owned becomes assigned (not validated), 4K since the
  /// folio is order 0 (`is_large_rmp_possible()` needs order >= 9); an entry
  /// already assigned is left alone ("already assigned", return 0).
  func prepare(_ m: inout Model, _ page: UInt64) {
    let b = bits(&m, page)
    // Every guest_memfd fault prepares a page whose entry is hypervisor-owned:
    // under gmem=separate the first fault, under gmem=in-place the fault after
    // a hole punch freed the folio (the next access allocates a fresh one).
    guard snp, backing(&m, page) == .gmem, b & SEVPage.private != 0, b & SEVPage.rmpMask == SEVPage.rmpHV else { return }
    m.stats.add(.rmpupdates)
    m.stats.call(.rmpupdate)
    update(&m, page) { $0 = ($0 & ~SEVPage.rmpMask) | SEVPage.rmpAssigned }
  }

  /// `unmap PAGES` (sev-snp): the VMM punches a hole in guest_memfd
  /// (`fallocate(FALLOC_FL_PUNCH_HOLE)`, as QEMU does for the side a
  /// conversion left unused): `kvm_gmem_punch_hole()` zaps the NPT and
  /// truncates; each freed folio goes through `kvm_gmem_free_folio()` →
  /// `kvm_arch_gmem_invalidate()` → `sev_gmem_invalidate()`, which makes
  /// its assigned RMP entries hypervisor-owned again. The attribute stays;
  /// the guest's next access to a private gfn faults in a fresh page and
  /// `sev_gmem_prepare()` assigns it again (not validated).
  func punchHole(_ m: inout Model) -> Outcome {
    for p in event.pages.first..<event.pages.end where backing(&m, p) != .gmem {
      return failed("unmap \(event.pages) on sev-snp punches a hole in guest_memfd: page \(hex(p)) is not backing=gmem")
    }
    var page = event.pages.first
    while page < event.pages.end {
      let f = m.memory.folio(of: page)
      let hi = min(event.pages.end, f.head + UInt64(f.count))
      invalidate(&m, PageRange(first: page, count: hi - page))
      page = hi
    }
    return .done
  }

  /// `sev_gmem_invalidate(start, end)`: for each assigned entry, one 2M
  /// RMPUPDATE to shared when the pfn is 2M-aligned, the range covers the
  /// 2M region and the entry is 2M (`use_2m_update`); otherwise PSMASH a 2M
  /// entry first and update 4K. Entries already hypervisor-owned are skipped.
  func invalidate(_ m: inout Model, _ range: PageRange) {
    var pfn = range.first
    while pfn < range.end {
      let b = bits(&m, pfn)
      if b & SEVPage.rmpMask == SEVPage.rmpHV {
        pfn += 1
        continue
      }
      let use2M = pfn & 511 == 0 && range.end >= pfn + 512 && b & SEVPage.rmp2M != 0
      if !use2M && b & SEVPage.rmp2M != 0 { psmash(&m, region: pfn) }
      m.stats.add(.rmpupdates)
      m.stats.call(.rmpupdate)
      let n: UInt64 = use2M ? 512 : 1
      for p in pfn..<(pfn + n) where m.memory.isDeclared(p) {
        update(&m, p) { $0 &= ~(SEVPage.rmpMask | SEVPage.rmp2M) }
      }
      pfn += n
    }
  }
}
