import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

/// `kernel=R`: the rules that differ between releases (docs/model-s390.md,
/// "Rules by kernel release"), one row per rule and release.
struct KernelReleaseRow: CustomTestStringConvertible, Sendable {
  var rule: String
  var kernel: String?
  var preset = "split"
  var memory = "memory 0x0 backing=anon"
  var body: String
  var stats: [StatisticName: UInt64]
  var findings: [FindingKind] = []
  var states: [UInt64: String] = [:]
  var testDescription: String { "\(rule) [kernel=\(kernel ?? "-") \(preset)]" }
}

let kernelReleaseTable: [KernelReleaseRow] = {
  var rows: [KernelReleaseRow] = []
  // 1. The large-folio rule: 6.10 refuses (-EINVAL, the guest is killed), 6.11 on split.
  let large = "vcpu0: touch 0x0 write\nvcpu0: touch 0x1 write"
  let order2 = "memory 0x0..0x3 order=2 backing=anon"
  for preset in ["split", "refuse"] {
    rows.append(.init(rule: "large folio", kernel: "6.10", preset: preset, memory: order2, body: large, stats: [.imports: 0, .splits: 0], findings: [.guestKilled]))
    for k in ["6.11", "6.15", "next"] {
      rows.append(.init(rule: "large folio", kernel: k, preset: preset, memory: order2, body: large, stats: [.imports: 2, .splits: 1]))
    }
  }
  // Presets page and folio keep large=allow (their what-if) under any release.
  rows.append(.init(rule: "large folio, what-if preset", kernel: "6.10", preset: "page", memory: order2, body: large, stats: [.imports: 2, .splits: 0]))
  rows.append(.init(rule: "large folio, what-if preset", kernel: "6.10", preset: "folio", memory: order2, body: large, stats: [.imports: 2, .splits: 0]))

  // 2. LRU drains: another CPU's LRU batch holds a reference (audit R07).
  let lru = "kworker: lru-add 0x0\nvcpu0: touch 0x0 write"
  rows.append(.init(rule: "lru drain, model", kernel: nil, body: lru, stats: [.lruDrains: 1, .importRetries: 0, .imports: 1, .waits: 0]))
  for k in ["6.10", "6.11", "6.14"] {
    // drain_lru(): lru_add_drain() (this CPU: not kworker's batch), then lru_add_drain_all() and -EAGAIN; the refault imports.
    rows.append(.init(rule: "lru drain, drain_lru", kernel: k, body: lru, stats: [.lruDrains: 2, .importRetries: 1, .imports: 1, .waits: 0]))
  }
  for k in ["6.15", "6.19", "next"] {
    // s390_wiggle_split_folio(): lru_add_drain_all() and -EAGAIN; the refault imports.
    rows.append(.init(rule: "lru drain, wiggle", kernel: k, body: lru, stats: [.lruDrains: 1, .importRetries: 1, .imports: 1, .waits: 0]))
  }
  // A plain reference and speculative ones: every failed attempt drains in
  // the kernel (3 attempts fail before the put); without kernel= the model
  // drains all batches once per failed attempt too (docs/differential.md).
  let ref = "qemu: get 0x0\n@10us vcpu0: touch 0x0 write\n@20us qemu: spec-get 0x0\n@30us qemu: spec-put 0x0\n@40us qemu: put 0x0"
  rows.append(.init(rule: "drain on every retry, model", kernel: nil, body: ref, stats: [.lruDrains: 3, .importRetries: 3, .waits: 1, .imports: 1]))
  rows.append(.init(rule: "drain on every retry, wiggle", kernel: "6.15", body: ref, stats: [.lruDrains: 3, .importRetries: 3, .waits: 1, .imports: 1]))
  rows.append(.init(rule: "drain on every retry, drain_lru", kernel: "6.11", body: ref, stats: [.lruDrains: 6, .importRetries: 3, .waits: 1, .imports: 1]))
  rows.append(.init(rule: "drain on every retry, drain=off", kernel: "6.15", body: ref, stats: [.lruDrains: 0, .importRetries: 3]))
  // Writeback: -EBUSY since 6.15 (a drain), -EAGAIN before (none).
  let wb = "kworker: writeback-start 0x0\nvcpu0: touch 0x0 write\nkworker: writeback-end 0x0"
  rows.append(.init(rule: "writeback", kernel: "6.11", memory: "memory 0x0 backing=file", body: wb, stats: [.lruDrains: 0, .waits: 1, .imports: 1]))
  rows.append(.init(rule: "writeback", kernel: nil, memory: "memory 0x0 backing=file", body: wb, stats: [.lruDrains: 0, .waits: 1, .imports: 1]))
  rows.append(.init(rule: "writeback", kernel: "6.15", memory: "memory 0x0 backing=file", body: wb, stats: [.lruDrains: 1, .waits: 1, .imports: 1]))

  // 3. Kernel-mode PGM 0x3d: next exports without the hook and fixes up a failure.
  let kfault = "vcpu0: touch 0x0 write\nqemu: access 0x0 read kernel\nqemu: pin 0x0"
  rows.append(.init(rule: "kernel fault", kernel: "6.19", body: kfault, stats: [.uvCalls: 3, .exports: 1, .spuriousUVCalls: 0], states: [0: "exported"]))
  rows.append(.init(rule: "kernel fault", kernel: "next", body: kfault, stats: [.uvCalls: 2, .exports: 1, .spuriousUVCalls: 0], states: [0: "exported"]))
  let kfail = "vcpu0: touch 0x0 write\nqemu: inject 0x0 fail=export\nqemu: access 0x0 read kernel"
  rows.append(.init(rule: "kernel fault fails", kernel: "6.19", body: kfail, stats: [.hookFailures: 1], findings: [.bugOn], states: [0: "secure"]))
  rows.append(.init(rule: "kernel fault fails", kernel: "next", body: kfail, stats: [.hookFailures: 0, .uvCalls: 2], states: [0: "secure"]))
  // A user fault is the same in every release: the hook, SIGSEGV on failure.
  rows.append(.init(rule: "user fault fails", kernel: "next", body: "vcpu0: touch 0x0 write\nqemu: inject 0x0 fail=export\nqemu: access 0x0 read user", stats: [.hookFailures: 1], findings: [.hostSigsegv]))

  // 4. unmap: a UV export for every present PTE of a protected mm (audit R14),
  // in every release: the default too.
  let unmap = "vcpu0: touch 0x0 write\nvcpu0: touch 0x1 write\nvcpu0: share 0x1\nqemu: unmap 0x0..0x2"
  let three = "memory 0x0..0x2 backing=anon"
  rows.append(.init(rule: "unmap", kernel: nil, memory: three, body: unmap, stats: [.exports: 2, .uvCalls: 5], states: [0: "exported", 1: "exported", 2: "nonsecure"]))
  rows.append(.init(rule: "unmap", kernel: "6.11", memory: three, body: unmap, stats: [.exports: 2, .uvCalls: 5], states: [0: "exported", 1: "exported", 2: "nonsecure"]))

  // 5. destroy: a UV destroy call for every page (audit R15), in every release.
  let destroy = "vcpu0: touch 0x0..0x2 write\nvcpu0: share 0x1\nqemu: destroy 0x0..0x3"
  let four = "memory 0x0..0x3 backing=anon"
  rows.append(.init(rule: "destroy", kernel: nil, memory: four, body: destroy, stats: [.destroys: 3, .uvCalls: 7]))
  rows.append(.init(rule: "destroy", kernel: "6.15", memory: four, body: destroy, stats: [.destroys: 3, .uvCalls: 7]))
  // 6. A UV import that fails for good: -EINVAL with PG_arch_1 set, the
  // guest killed; the bit over-indicates, so the host's later pin makes two
  // spurious UV calls (every release: make_folio_secure() sets the bit first).
  let hard = "qemu: inject 0x0 fail=import-error\nvcpu0: touch 0x0 write\nqemu: pin 0x0"
  for k in [nil, "6.10", "next"] {
    rows.append(.init(rule: "import error", kernel: k, body: hard, stats: [.imports: 0, .uvCalls: 3, .spuriousUVCalls: 2, .importRetries: 0], findings: [.guestKilled], states: [0: "nonsecure"]))
  }
  // A busy UV stays a retry at once (audit R18).
  rows.append(.init(rule: "import busy", kernel: nil, body: "qemu: inject 0x0 fail=import count=2\nvcpu0: touch 0x0 write", stats: [.imports: 1, .uvCalls: 3, .importRetries: 2, .waits: 0], states: [0: "secure"]))
  return rows
}()

@Test("kernel= selects the rules of a release", arguments: kernelReleaseTable)
func kernelReleaseRules(_ row: KernelReleaseRow) throws {
  var knobs = row.kernel.map { [("kernel", $0)] } ?? []
  if row.rule.hasSuffix("drain=off") { knobs.append(("drain", "off")) }
  let (r, m) = try replay(row.body, memory: row.memory, preset: row.preset, knobs: knobs)
  for (name, value) in row.stats {
    #expect(r.stats[name] == value, "\(name.rawValue)")
  }
  let kinds = Set(r.findings.findings.map(\.kind)).subtracting([.stall, .unprotectedIO])
  #expect(kinds == Set(row.findings))
  for (page, s) in row.states {
    #expect(state(m, page) == s, "page \(page)")
  }
}

@Test("kernel= takes the releases of the table and nothing else", arguments: ["6.9", "5.15", "7.0", "6.100", "6.010", "latest", ""])
func kernelReleaseRejected(_ value: String) {
  var p = Policy(preset: "split")!
  #expect(throws: PolicyError.self) { try p.set("kernel", value) }
}

@Test("an explicit large= wins over the release's large-folio rule, in either order")
func explicitLargeWins() throws {
  var a = Policy(preset: "split")!
  try a.set("large", "split")
  try a.set("kernel", "6.10")
  #expect(a.s390Large == .split)
  var b = Policy(preset: "refuse")!
  try b.set("kernel", "6.11")
  #expect(b.s390Large == .split)
  try b.set("large", "refuse")
  #expect(b.s390Large == .refuse)
  // SEV keeps the knob's value: the rule is s390's.
  var c = Policy(preset: "split")!
  try c.set("kernel", "6.10")
  #expect(c.large == .split && c.s390Large == .refuse)
  #expect(c.name == "split+kernel=6.10")
}
