import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// arch x initial state x event(s) -> state of page 0 and the exact set of finding kinds.
struct SEVRow: CustomTestStringConvertible, Sendable {
  var snp: Bool
  var initial: String
  var backing = "gmem"
  var body: String
  var state: String
  var findings: Set<String> = []
  var testDescription: String { "\(snp ? "sev-snp" : "sev") \(initial): \(body.split(separator: "\n").joined(separator: "; ")) -> \(state) \(findings.sorted())" }
}

/// The SEV-SNP tests of this file model the guest_memfd in-place conversion
/// series (2025-26, unmerged): `gmem=in-place` on top of the preset.
/// `SEVGmemTests.swift` has mainline's `gmem=separate`.
func replayInPlace(_ body: String, memory: String = "memory 0x0 backing=gmem", preset: String = "page", knobs: [(String, String)] = []) throws -> (ReplayResult, Model) {
  try replay(SEVSNP.self, body, memory: memory, preset: preset, knobs: [("gmem", "in-place")] + knobs)
}

let sevTable: [SEVRow] = [
  // Conversions requested by the guest (psc) and the VMM (convert).
  SEVRow(snp: true, initial: "shared", body: "vcpu0: psc 0x0 private", state: "private-unvalidated"),
  SEVRow(snp: true, initial: "shared", body: "qemu: convert 0x0 private", state: "private-unvalidated"),
  SEVRow(snp: true, initial: "shared", body: "vcpu0: psc 0x0 private\nvcpu0: pvalidate 0x0 on", state: "private"),
  SEVRow(snp: true, initial: "private", body: "vcpu0: pvalidate 0x0 off\nvcpu0: psc 0x0 shared", state: "shared"),
  SEVRow(snp: true, initial: "private", body: "vcpu0: psc 0x0 shared", state: "shared", findings: ["validation-not-rescinded"]),
  SEVRow(snp: true, initial: "private", body: "vcpu0: psc 0x0 private", state: "private"),
  // PVALIDATE is a private access: a shared gfn exits with KVM_EXIT_MEMORY_FAULT and is converted first.
  SEVRow(snp: true, initial: "shared", body: "vcpu0: pvalidate 0x0 on", state: "private"),
  SEVRow(snp: true, initial: "private", body: "vcpu0: pvalidate 0x0 off", state: "private-unvalidated"),
  // Guest accesses: C-bit agreement, implicit conversions, validation.
  SEVRow(snp: true, initial: "private", body: "vcpu0: touch 0x0 write", state: "private"),
  SEVRow(snp: true, initial: "shared", body: "vcpu0: touch 0x0 write", state: "shared"),
  SEVRow(snp: true, initial: "shared", body: "vcpu0: touch 0x0 c=enc", state: "private-unvalidated", findings: ["unvalidated-access"]),
  SEVRow(snp: true, initial: "private", body: "vcpu0: pvalidate 0x0 off\nvcpu0: touch 0x0 c=dec", state: "shared"),
  SEVRow(snp: true, initial: "private", body: "vcpu0: pvalidate 0x0 off\nvcpu0: touch 0x0", state: "private-unvalidated", findings: ["unvalidated-access"]),
  SEVRow(snp: true, initial: "shared", body: "vcpu0: gpte 0x0 enc\nvcpu0: touch 0x0", state: "private-unvalidated", findings: ["unvalidated-access"]),
  // Host accesses.
  SEVRow(snp: true, initial: "shared", body: "qemu: access 0x0 write", state: "shared"),
  SEVRow(snp: true, initial: "private", body: "qemu: access 0x0 read user", state: "private"),
  SEVRow(snp: true, initial: "private", body: "qemu: access 0x0 read kernel", state: "private", findings: ["ciphertext-access"]),
  SEVRow(snp: true, initial: "private", body: "qemu: access 0x0 write kernel", state: "private", findings: ["rmp-fault"]),
  SEVRow(snp: true, initial: "private", backing: "anon", body: "qemu: access 0x0 write", state: "private", findings: ["rmp-fault"]),
  SEVRow(snp: true, initial: "shared", body: "cpu1: access 0x0 write\nvcpu0: psc 0x0 private\ncpu1: access 0x0 write", state: "private-unvalidated"),
  // Devices and pins.
  SEVRow(snp: true, initial: "private", body: "dev: dma 0x0 read", state: "private", findings: ["io-on-secure"]),
  SEVRow(snp: true, initial: "shared", body: "qemu: pin 0x0 longterm\ndev: dma 0x0 write", state: "shared+pinned"),
  SEVRow(snp: true, initial: "shared", body: "qemu: pin 0x0 longterm\nvcpu0: psc 0x0 private", state: "shared+pinned", findings: ["hang"]),
  SEVRow(snp: true, initial: "shared", body: "dev: dma-start 0x0 write id=r\nvcpu0: psc 0x0 private\ndev: dma-end id=r", state: "private-unvalidated", findings: ["io-on-secure", "unprotected-io"]),
  // Plain SEV: no RMP, no validation; the wrong C-bit goes unnoticed by hardware.
  SEVRow(snp: false, initial: "shared", body: "vcpu0: touch 0x0 c=enc", state: "shared", findings: ["cbit-mismatch"]),
  SEVRow(snp: false, initial: "private", body: "vcpu0: touch 0x0 c=dec", state: "private", findings: ["cbit-mismatch"]),
  SEVRow(snp: false, initial: "shared", body: "vcpu0: psc 0x0 private\nvcpu0: touch 0x0", state: "private", findings: ["cbit-mismatch"]),
  SEVRow(snp: false, initial: "shared", body: "vcpu0: psc 0x0 private\nvcpu0: gpte 0x0 enc\nvcpu0: touch 0x0", state: "private"),
  SEVRow(snp: false, initial: "private", backing: "anon", body: "qemu: access 0x0 read", state: "private", findings: ["ciphertext-access"]),
  SEVRow(snp: false, initial: "private", backing: "anon", body: "qemu: access 0x0 write", state: "private", findings: ["ciphertext-access"]),
  SEVRow(snp: false, initial: "private", body: "dev: dma 0x0 read", state: "private", findings: ["io-on-secure"]),
]

@Test("SEV page transitions and findings", arguments: sevTable)
func sevTransition(_ row: SEVRow) throws {
  let memory = "memory 0x0 backing=\(row.backing) state=\(row.initial)"
  let (r, m) = row.snp
    ? try replayInPlace(row.body, memory: memory)
    : try replay(SEV.self, row.body, memory: memory)
  #expect((row.snp ? state(m, 0, SEVSNP.self) : state(m, 0, SEV.self)) == row.state)
  #expect(Set(r.findings.findings.map(\.kind.rawValue)) == row.findings)
}

@Test("a plain SEV host write to private memory is an error, a read a warning")
func ciphertextSeverity() throws {
  let (w, _) = try replay(SEV.self, "qemu: access 0x0 write", memory: "memory 0x0 state=private")
  #expect(w.findings.findings.first?.severity == .error)
  let (r, _) = try replay(SEV.self, "qemu: access 0x0 read", memory: "memory 0x0 state=private")
  #expect(r.findings.findings.first?.severity == .warning)
}

/// S15's shape: one 4K page shared out of a 2 MiB private folio, then back.
let s15Body = """
  vcpu0: pvalidate 0x5 off
  vcpu0: psc 0x5 shared
  vcpu0: psc 0x5 private
  vcpu0: pvalidate 0x5 on
  """

@Test("granularity of a 4K conversion inside a 2 MiB folio, per preset",
  arguments: [
    ("page", ["psmash": 1, "splits": 0, "merges": 0, "collateral-conversions": 0, "rmpupdates": 2], ""),
    ("folio", ["psmash": 2, "collateral-conversions": 1022, "rmpupdates": 513], "collateral-share"),
    ("split", ["psmash": 1, "splits": 1, "merges": 1, "rmpupdates": 2], ""),
    ("refuse", ["psmash": 1, "splits": 0, "conversions": 0, "rmpupdates": 0], "conversion-failed"),
  ])
func largeFolioConversion(_ preset: String, _ stats: [String: Int], _ finding: String) throws {
  let (r, m) = try replayInPlace(s15Body, memory: "memory 0x0+512 order=9 backing=gmem state=private", preset: preset)
  for (name, value) in stats { #expect(r.statistic(name) == Double(value), "\(name)") }
  #expect(Set(r.findings.findings.map(\.kind.rawValue)) == (finding.isEmpty ? [] : [finding]))
  #expect(state(m, 5, SEVSNP.self) == "private")
  if preset == "split" { #expect(m.memory.entries[0].order == 9) }
  if preset == "page" { #expect(m.memory.entries[0].order == 9) }
}

@Test("a deferred flush leaves a stale TLB entry; an immediate one makes the user access SIGBUS")
func deferredFlush() throws {
  let body = "cpu1: access 0x0 write user\nvcpu0: psc 0x0 private\ncpu1: access 0x0 write user\nqemu: flush\ncpu1: access 0x0 write user"
  let (deferred, _) = try replayInPlace(body, memory: "memory 0x0 backing=gmem", knobs: [("flush", "deferred")])
  #expect(deferred.findings.count(.staleTLBAccess) == 1)
  #expect(deferred.findings.count(.rmpFault) == 1)
  #expect(deferred.stats[.hostSigbus] == 1)  // after the flush event
  let (immediate, _) = try replayInPlace(body, memory: "memory 0x0 backing=gmem")
  #expect(immediate.findings.findings.isEmpty)
  #expect(immediate.stats[.hostSigbus] == 2)
  #expect(immediate.stats[.tlbFlushes] == 2)
}

@Test("refcount-check: a pinned page blocks the conversion (hang, or conversion-failed when bounded); off lets DMA hit private memory")
func refcountCheck() throws {
  let body = "qemu: pin 0x0 longterm\n@1ms vcpu0: psc 0x0 private\n@2ms dev: dma 0x0 write"
  let memory = "memory 0x0 backing=gmem"
  let (on, _) = try replayInPlace(body, memory: memory)
  #expect(on.findings.count(.hang) == 1)
  #expect(on.stats[.conversionRetries] == 1)
  let (bounded, _) = try replayInPlace(body, memory: memory, knobs: [("wait", "bounded:150ms")])
  #expect(bounded.findings.count(.conversionFailed) == 1)
  #expect(bounded.findings.count(.hang) == 0)
  let (off, _) = try replayInPlace(body, memory: memory, knobs: [("refcount-check", "off")])
  #expect(off.findings.count(.ioOnSecure) == 1)
  #expect(off.findings.count(.hang) == 0)
}

@Test("mprotect and split-pmd rebuild the guest's PTE C-bits per knob",
  arguments: [
    ("vcpu0: gpte 0x10 dec\nvcpu0: mprotect 0x10\nvcpu0: touch 0x10 write", "chg-mask", "keep-enc", 0),
    ("vcpu0: gpte 0x10 dec\nvcpu0: mprotect 0x10\nvcpu0: touch 0x10 write", "chg-mask", "drop-enc", 1),
    ("vcpu0: gpte 0x0+512 dec\nvcpu0: split-pmd 0x10\nvcpu0: touch 0x10 write", "split-pmd", "copy-entry", 0),
    ("vcpu0: gpte 0x0+512 dec\nvcpu0: split-pmd 0x10\nvcpu0: touch 0x10 write", "split-pmd", "vm-page-prot", 1),
  ])
func guestPageTables(_ body: String, _ knob: String, _ value: String, _ mismatches: Int) throws {
  let (r, _) = try replay(SEV.self, body, memory: "memory 0x0+512", knobs: [(knob, value)])
  #expect(r.findings.count(.cbitMismatch) == mismatches)
}

@Test("PVALIDATE sizes: 4K inside a 2M entry PSMASHes; 2M over 4K entries is a size mismatch retried as 4K")
func pvalidateSizes() throws {
  let memory = "memory 0x0+512 order=9 backing=gmem state=private"
  let (small, sm) = try replayInPlace("vcpu0: pvalidate 0x0 off", memory: memory)
  #expect(small.stats[.psmash] == 1)
  #expect(state(sm, 0, SEVSNP.self) == "private-unvalidated")
  let (big, _) = try replayInPlace("vcpu0: pvalidate 0x0 off\nvcpu0: pvalidate 0x0+512 on size=2m", memory: memory)
  #expect(big.stats[.pvalidateSizeMismatch] == 1)
  let (whole, _) = try replayInPlace("vcpu0: pvalidate 0x0+512 off size=2m", memory: memory)
  #expect(whole.stats[.pvalidateSizeMismatch] == 0)
  #expect(whole.stats[.psmash] == 0)
}

@Test("guest_memfd folios are never written back")
func gmemWriteback() throws {
  #expect(throws: TraceError.self) {
    try replayInPlace("qemu: writeback-start 0x0", memory: "memory 0x0 backing=gmem")
  }
}

@Test("a split folio merges back only when all its pages are private again (the kernel's rule)")
func mergeOnlyWhenPrivate() throws {
  let memory = "memory 0x0+4 order=2 backing=gmem state=private"
  let toShared = "vcpu0: pvalidate 0x0..0x3 off\nvcpu0: psc 0x1 shared\nvcpu0: psc 0x0 shared\nvcpu0: psc 0x2..0x3 shared"
  let (shared, sm) = try replayInPlace(toShared, memory: memory, preset: "split")
  #expect(shared.stats[.splits] == 1)
  #expect(shared.stats[.merges] == 0)
  #expect(sm.memory.entries[0].order == 0)
  let (back, bm) = try replayInPlace(toShared + "\nvcpu0: psc 0x0..0x3 private", memory: memory, preset: "split")
  #expect(back.stats[.merges] == 1)
  #expect(bm.memory.entries[0].order == 2)
}

@Test("large=refuse fails a partial conversion after the zap and the reference check, in the spec's order")
func refuseOrder() throws {
  let body = "qemu: pin 0x0 longterm\nvcpu0: psc 0x1 private"
  let (r, _) = try replayInPlace(body, memory: "memory 0x0+4 order=2 backing=gmem", preset: "refuse")
  #expect(r.findings.count(.hang) == 1)
  #expect(r.findings.count(.conversionFailed) == 0)
  let (s, _) = try replayInPlace("vcpu0: psc 0x1 shared", memory: "memory 0x0+4 order=2 backing=gmem state=private", preset: "refuse")
  #expect(Set(s.findings.findings.map(\.kind)) == [.validationNotRescinded, .conversionFailed])
}
