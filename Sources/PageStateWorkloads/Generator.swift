import PageStateTrace

/// Writes a workload's trace: header, memory, actors, a boot phase in which
/// the guest touches its memory, then steps until about `events` events (the
/// last step completes, so references, pins and writeback stay balanced).
///
/// Deterministic for a seed; streams into `TraceOutput` in constant memory.
public struct Generator {
  public let parameters: WorkloadParameters
  var rng: SplitMix64
  let out: TraceOutput

  static let vcpus: [StaticString] = ["vcpu0", "vcpu1", "vcpu2", "vcpu3"]

  public init(_ parameters: WorkloadParameters, output: TraceOutput) {
    self.parameters = parameters
    self.rng = SplitMix64(seed: parameters.seed)
    self.out = output
  }

  var folio: UInt64 { UInt64(1) << UInt64(parameters.folioOrder) }

  /// Writes the whole trace.
  public mutating func run() {
    let p = parameters
    out.line("pagestate 1")
    let with = KnownRace.allCases.filter { p.races.contains($0) }.map { " --with \($0.rawValue)" }.joined()
    out.line("# generated: pagestate generate \(p.workload.rawValue) --pages \(p.pages) --events \(p.events) --seed \(p.seed) --arch \(p.architecture.rawValue) --folio-order \(p.folioOrder)\(with)")
    out.line("arch \(p.architecture.rawValue)")
    switch p.workload {
    case .virtio:
      var w = VirtioSteps(region: PageRange(first: 0, count: p.pages), folio: folio)
      header(w.region, backing: "anon")
      boot(w.region)
      w.setUp(&self)
      while UInt64(out.events) < p.events { w.step(&self) }
    case .writeback:
      let w = WritebackSteps(region: PageRange(first: 0, count: p.pages), folio: folio)
      header(w.region, backing: "file")
      boot(w.region)
      while UInt64(out.events) < p.events { w.step(&self) }
    case .dio:
      var w = DirectIOSteps(region: PageRange(first: 0, count: p.pages), folio: folio)
      header(w.region, backing: "anon")
      boot(w.region)
      while UInt64(out.events) < p.events { w.step(&self) }
    case .mixed:
      let third = p.pages / 3
      var v = VirtioSteps(region: PageRange(first: 0, count: third), folio: folio)
      let wb = WritebackSteps(region: PageRange(first: third, count: third), folio: folio)
      var d = DirectIOSteps(region: PageRange(first: 2 * third, count: third), folio: folio)
      declareActors()
      memory(v.region, backing: "anon")
      memory(wb.region, backing: "file")
      memory(d.region, backing: "anon")
      boot(PageRange(first: 0, count: 3 * third))
      v.setUp(&self)
      while UInt64(out.events) < p.events {
        let r = rng.percent()
        if r < 40 { v.step(&self) } else if r < 60 { wb.step(&self) } else { d.step(&self) }
      }
    case .snp:
      var w = SNPSteps(region: PageRange(first: 0, count: p.pages))
      declareActors(cpu: true)
      // Huge guest_memfd folios exist only in the in-place conversion series.
      if p.folioOrder > 0 { out.line("policy gmem=in-place") }
      out.line("memory 0x0+\(p.pages) order=\(p.folioOrder) backing=gmem state=private")
      w.setUp(&self)
      while UInt64(out.events) < p.events { w.step(&self) }
    }
    out.flush()
  }

  mutating func header(_ region: PageRange, backing: StaticString) {
    declareActors()
    memory(region, backing: backing)
  }

  func memory(_ region: PageRange, backing: StaticString) {
    out.text("memory ")
    out.hex(region.first)
    out.byte(0x2B)
    out.decimal(region.count)
    out.text(" order=")
    out.decimal(UInt64(parameters.folioOrder))
    out.text(" backing=")
    out.text(backing)
    out.end()
  }

  func declareActors(cpu: Bool = false) {
    for v in Generator.vcpus {
      out.text("actor ")
      out.text(v)
      out.text(" guest")
      out.end()
    }
    out.line("actor qemu host")
    out.line("actor vhost host")
    out.line("actor flusher host")
    out.line("actor nic device")
    out.line("actor disk device")
    if cpu { out.line("actor cpu1 cpu") }
  }

  /// The guest boots: its vCPUs touch all of its memory (imports), 512 pages an event.
  mutating func boot(_ region: PageRange) {
    var page = region.first
    var k = 0
    while page < region.end {
      let n = min(512, region.end - page)
      out.event(Generator.vcpus[k & 3], "touch")
      pages(page, n)
      out.text(" write")
      out.end()
      page += n
      k += 1
    }
  }

  // MARK: Helpers for the steps

  @inline(__always)
  mutating func vcpu() -> StaticString { Generator.vcpus[Int(rng.next() & 3)] }

  @inline(__always)
  mutating func page(in region: PageRange) -> UInt64 { region.first + rng.below(region.count) }

  /// One page `P` or a set `P+N`.
  @inline(__always)
  func pages(_ first: UInt64, _ n: UInt64) {
    out.hex(first)
    if n > 1 {
      out.byte(0x2B)
      out.decimal(n)
    }
  }

  /// `ACTOR: VERB PAGE` plus an optional suffix, as one line.
  @inline(__always)
  func emit(_ actor: StaticString, _ verb: StaticString, _ page: UInt64, _ suffix: StaticString = "") {
    out.event(actor, verb)
    out.hex(page)
    out.text(suffix)
    out.end()
  }
}
