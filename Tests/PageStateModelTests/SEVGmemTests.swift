import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

// `gmem=separate|in-place` (sev-snp): mainline guest_memfd and the unmerged
// in-place conversion series (docs/model-sev.md).

@Test("gmem defaults to separate (mainline) under every preset, takes in-place, rejects the rest")
func gmemKnob() throws {
  for name in Policy.presetNames {
    #expect(Policy(preset: name)!.gmem == .separate)
  }
  var p = Policy(preset: "split")!
  try p.set("gmem", "in-place")
  #expect(p.gmem == .inPlace)
  #expect(p.name == "split+gmem=in-place")
  #expect(Policy.knobNames.contains("gmem"))
  #expect(throws: PolicyError.self) { try p.set("gmem", "inplace") }
  do {
    try p.set("gmem", "huge")
  } catch {
    #expect(error.message == "knob 'gmem' takes separate, in-place; found 'huge'")
    #expect(error.isValue)
  }
}

/// sev-snp, `gmem=separate` (mainline), one `backing=gmem` page 0x0:
/// initial state x event(s) -> state of page 0, the exact set of finding
/// kinds, and statistics (the RMP updates counted where the kernel does them).
struct SeparateRow: CustomTestStringConvertible, Sendable {
  var initial: String
  var body: String
  var state: String
  var findings: Set<String> = []
  var stats: [String: Int] = [:]
  var testDescription: String { "\(initial): \(body.split(separator: "\n").joined(separator: "; ")) -> \(state) \(findings.sorted()) \(stats.sorted { $0.key < $1.key })" }
}

let separateTable: [SeparateRow] = [
  // A conversion flips the attribute only (kvm_vm_set_mem_attributes()); the
  // RMP stays hypervisor-owned until the guest's next fault.
  SeparateRow(initial: "shared", body: "vcpu0: psc 0x0 private", state: "private-unvalidated", stats: ["conversions": 1, "rmpupdates": 0]),
  SeparateRow(initial: "shared", body: "qemu: convert 0x0 private", state: "private-unvalidated", stats: ["conversions": 1, "rmpupdates": 0]),
  // The fault of PVALIDATE's (or an access's) NPT walk: sev_gmem_prepare(), 4K.
  SeparateRow(initial: "shared", body: "vcpu0: psc 0x0 private\nvcpu0: pvalidate 0x0 on", state: "private", stats: ["rmpupdates": 1, "psmash": 0]),
  SeparateRow(initial: "shared", body: "vcpu0: psc 0x0 private\nvcpu0: touch 0x0 c=enc", state: "private-unvalidated", findings: ["unvalidated-access"], stats: ["rmpupdates": 1]),
  SeparateRow(initial: "shared", body: "vcpu0: touch 0x0 c=enc", state: "private-unvalidated", findings: ["unvalidated-access"], stats: ["implicit-conversions": 1, "rmpupdates": 1]),
  SeparateRow(initial: "shared", body: "vcpu0: psc 0x0 private\nvcpu0: pvalidate 0x0 on\nvcpu0: gpte 0x0 enc\nvcpu0: touch 0x0 write", state: "private", stats: ["rmpupdates": 1]),
  // private -> shared: no RMPUPDATE (the guest_memfd page is not freed);
  // back to private: already assigned, sev_gmem_prepare() returns 0.
  SeparateRow(initial: "private", body: "vcpu0: pvalidate 0x0 off\nvcpu0: psc 0x0 shared", state: "shared", stats: ["conversions": 1, "rmpupdates": 0]),
  SeparateRow(initial: "private", body: "vcpu0: psc 0x0 shared", state: "shared", findings: ["validation-not-rescinded"], stats: ["rmpupdates": 0]),
  SeparateRow(initial: "private", body: "vcpu0: pvalidate 0x0 off\nvcpu0: psc 0x0 shared\nvcpu0: psc 0x0 private\nvcpu0: pvalidate 0x0 on", state: "private", stats: ["conversions": 2, "rmpupdates": 0]),
  SeparateRow(initial: "private", body: "vcpu0: pvalidate 0x0 off\nvcpu0: touch 0x0 c=dec", state: "shared", stats: ["implicit-conversions": 1, "rmpupdates": 0]),
  // PVALIDATE of a shared gfn: #NPF with the private bit, KVM_EXIT_MEMORY_FAULT, the VMM converts, the fault prepares the gmem page.
  SeparateRow(initial: "shared", body: "vcpu0: pvalidate 0x0 on", state: "private", stats: ["rmpupdates": 1, "implicit-conversions": 1, "conversions": 1]),
  // Pins, locks and references are on the VMM's shared page: not waited on.
  SeparateRow(initial: "shared", body: "qemu: pin 0x0 longterm\nvcpu0: psc 0x0 private", state: "private-unvalidated", stats: ["waits": 0, "conversion-retries": 0, "conversions": 1]),
  SeparateRow(initial: "shared", body: "qemu: get 0x0\nvcpu0: psc 0x0 private", state: "private-unvalidated", stats: ["waits": 0, "lru-drains": 0]),
  SeparateRow(initial: "shared", body: "qemu: lock 0x0\nvcpu0: psc 0x0 private", state: "private-unvalidated", stats: ["waits": 0]),
  // DMA reaches the (stale) shared page, never guest_memfd: no io-on-secure.
  SeparateRow(initial: "shared", body: "qemu: pin 0x0 longterm\nvcpu0: psc 0x0 private\ndev: dma 0x0 write", state: "private-unvalidated"),
  SeparateRow(initial: "shared", body: "dev: dma-start 0x0 write id=r\nvcpu0: psc 0x0 private\ndev: dma-end id=r", state: "private-unvalidated", findings: ["unprotected-io"]),
  SeparateRow(initial: "private", body: "dev: dma 0x0 read", state: "private", findings: ["unprotected-io"]),
  // Host accesses reach the shared page too: no RMP #PF, no SIGBUS, no zap.
  SeparateRow(initial: "private", body: "qemu: access 0x0 write kernel", state: "private"),
  SeparateRow(initial: "private", body: "qemu: access 0x0 read user", state: "private", stats: ["host-sigbus": 0]),
  SeparateRow(initial: "shared", body: "cpu1: access 0x0 write\nvcpu0: psc 0x0 private\ncpu1: access 0x0 write", state: "private-unvalidated", stats: ["tlb-flushes": 0]),
]

@Test("gmem=separate (mainline): page transitions, findings and lazy RMP updates", arguments: separateTable)
func separateTransition(_ row: SeparateRow) throws {
  let (r, m) = try replay(SEVSNP.self, row.body, memory: "memory 0x0 backing=gmem state=\(row.initial)")
  #expect(r.policy.gmem == .separate)
  #expect(state(m, 0, SEVSNP.self) == row.state)
  #expect(Set(r.findings.findings.map(\.kind.rawValue)) == row.findings)
  for (name, value) in row.stats { #expect(r.statistic(name) == Double(value), "\(name)") }
}

@Test("gmem=separate: a large guest_memfd folio is an input error at its memory line; in-place and plain SEV accept it")
func separateRejectsLargeGmem() throws {
  let memory = "memory 0x0+4 order=2 backing=gmem"
  do {
    _ = try replay(SEVSNP.self, "vcpu0: psc 0x0 private", memory: memory)
    Issue.record("no error")
  } catch let error as TraceError {
    #expect(error.location.line == 2)
    #expect(error.message.contains("guest_memfd folios are order 0"))
    #expect(error.message.contains("gmem=in-place"))
  }
  _ = try replay(SEVSNP.self, "vcpu0: psc 0x0 private", memory: memory, knobs: [("gmem", "in-place")])
  _ = try replay(SEV.self, "vcpu0: psc 0x0 private", memory: memory)
  _ = try replay(SEVSNP.self, "vcpu0: psc 0x0 private", memory: "memory 0x0+4 order=2 backing=anon")
}

@Test("unmap (guest_memfd hole punch) runs sev_gmem_invalidate(): assigned entries back to hv; the next fault prepares a fresh page")
func separatePunchHole() throws {
  // private -> shared, then the VMM frees the private side: one 4K RMPUPDATE.
  let (r, m) = try replay(SEVSNP.self, "vcpu0: pvalidate 0x0 off\nvcpu0: psc 0x0 shared\nqemu: unmap 0x0", memory: "memory 0x0 backing=gmem state=private")
  #expect(r.statistic("rmpupdates") == 1)
  #expect(state(m, 0, SEVSNP.self) == "shared")
  // Back to private: the freed page is gone, the fault prepares a new one (assigned, not validated).
  let (b, bm) = try replay(SEVSNP.self, "vcpu0: pvalidate 0x0 off\nvcpu0: psc 0x0 shared\nqemu: unmap 0x0\nvcpu0: psc 0x0 private\nvcpu0: touch 0x0 c=enc",
    memory: "memory 0x0 backing=gmem state=private")
  #expect(b.statistic("rmpupdates") == 2)
  #expect(Set(b.findings.findings.map(\.kind.rawValue)) == ["unvalidated-access"])
  #expect(state(bm, 0, SEVSNP.self) == "private-unvalidated")
  // A shared page never faulted in as private: nothing assigned, nothing to update.
  let (s, _) = try replay(SEVSNP.self, "qemu: unmap 0x0", memory: "memory 0x0 backing=gmem")
  #expect(s.statistic("rmpupdates") == 0)
  // Not guest_memfd: an input error.
  #expect(throws: TraceError.self) { try replay(SEVSNP.self, "qemu: unmap 0x0", memory: "memory 0x0 backing=anon") }
}

@Test("sev_gmem_invalidate() on a 2M RMP entry (gmem=in-place): one 2M update for the whole region, PSMASH + 4K for part of it")
func invalidate2M() throws {
  let memory = "memory 0x0+512 order=9 backing=gmem state=private"
  let (whole, _) = try replay(SEVSNP.self, "qemu: unmap 0x0+512", memory: memory, knobs: [("gmem", "in-place")])
  #expect(whole.statistic("rmpupdates") == 1)
  #expect(whole.statistic("psmash") == 0)
  let (part, _) = try replay(SEVSNP.self, "qemu: unmap 0x10+2", memory: memory, knobs: [("gmem", "in-place")])
  #expect(part.statistic("rmpupdates") == 2)
  #expect(part.statistic("psmash") == 1)
}

/// gmem=in-place RMP page sizes at the conversion, per the kernel's rules:
/// is_large_rmp_possible() for shared -> private, sev_gmem_invalidate() for
/// private -> shared. Body on one order-9 guest_memfd folio -> rmpupdates, psmash.
@Test("gmem=in-place: RMPUPDATE sizes follow is_large_rmp_possible() and sev_gmem_invalidate()",
  arguments: [
    // Private, one 2M entry: sharing the whole folio is one 2M update.
    ("private", "vcpu0: pvalidate 0x0+512 off size=2m\nvcpu0: psc 0x0+512 shared", 1, 0),
    // After a 4K PVALIDATE PSMASHed the entry: 512 4K updates.
    ("private", "vcpu0: pvalidate 0x0 off\nvcpu0: pvalidate 0x1+511 off\nvcpu0: psc 0x0+512 shared", 512, 1),
    // Sharing one page of the 2M entry: PSMASH, one 4K update.
    ("private", "vcpu0: pvalidate 0x10 off\nvcpu0: psc 0x10 shared", 1, 1),
    // Shared, all unassigned: the whole folio to private is one 2M entry.
    ("shared", "vcpu0: psc 0x0+512 private", 1, 0),
    // One page already assigned: the range is not all unassigned, 4K for the other 511.
    ("shared", "vcpu0: psc 0x10 private\nvcpu0: psc 0x0+512 private", 512, 0),
  ])
func inPlaceRMPSizes(_ initial: String, _ body: String, _ rmpupdates: Int, _ psmash: Int) throws {
  let (r, _) = try replay(SEVSNP.self, body, memory: "memory 0x0+512 order=9 backing=gmem state=\(initial)", knobs: [("gmem", "in-place")])
  #expect(r.statistic("rmpupdates") == Double(rmpupdates))
  #expect(r.statistic("psmash") == Double(psmash))
}
