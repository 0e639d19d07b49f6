import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

#if canImport(Glibc)
  import Glibc
#endif

// The differential check of issue 13, part 4 (docs/differential.md): random
// traces of three architectures replayed through the product and through
// `ReferenceModel`, a second implementation of the spec that shares no code
// with it, under every preset. Findings (kind, line) and every statistic must
// agree. `PAGESTATE_PROPERTY_SEED=N` replays one seed, `PAGESTATE_PROPERTY_RUNS=N`
// draws N fresh seeds besides the fixed 500 (instead of 100),
// `PAGESTATE_DIFFERENTIAL_DUMP=1` prints every disagreement and the coverage.

/// The product's findings and statistics in the reference model's terms.
func productResult(_ text: String, preset: String) throws -> ReferenceResult {
  let (_, results) = try Session.run(fileName: "differential.trace", source: ByteSource(string: text), mode: .replay(preset: preset))
  let r = results[0]
  if let error = r.error { throw error }
  var stats: [String: Double] = [:]
  for name in StatisticName.allCases {
    let v = r.statistic(name.rawValue) ?? 0
    if v != 0 || name == .events || name == .estimatedCost { stats[name.rawValue] = v }
  }
  let exitStatus = (r.findings.worst ?? .warning) >= .error ? 1 : 0
  return ReferenceResult(findings: r.findings.findings.map { "\($0.kind.rawValue)@\($0.line)" }.sorted(), stats: stats, exitStatus: exitStatus)
}

/// What differs between two results, one line per difference.
func differences(_ product: ReferenceResult, _ reference: ReferenceResult) -> [String] {
  var out: [String] = []
  if product.exitStatus != reference.exitStatus {
    out.append("exit status: product \(product.exitStatus), reference \(reference.exitStatus)")
  }
  if product.findings != reference.findings {
    out.append("findings: product \(product.findings), reference \(reference.findings)")
  }
  for key in Set(product.stats.keys).union(reference.stats.keys).sorted() {
    let a = product.stats[key] ?? 0
    let b = reference.stats[key] ?? 0
    if a != b { out.append("\(key): product \(a), reference \(b)") }
  }
  return out
}

struct DifferentialTests {
  static let mustReach = [
    "hang", "stall", "io-on-secure", "unprotected-io", "guest-killed", "conversion-failed", "collateral-share",
    "unvalidated-access", "validation-not-rescinded", "cbit-mismatch", "rmp-fault", "ciphertext-access",
    "hook-without-marker", "imports", "import-retries", "exports", "collateral-exports", "pin-shared",
    "collateral-pins", "destroys", "spurious-uv-calls", "secure-access-faults", "lru-drains", "splits", "merges",
    "conversions", "implicit-conversions", "conversion-retries", "collateral-conversions", "rmpupdates",
    "host-sigbus", "tlb-flushes", "waits", "wait-time", "max-wait",
  ]

  @Test("the product and the reference model agree on random traces of s390-pv, sev and sev-snp under every preset")
  func productAgreesWithReference() throws {
    var disagreements = 0
    var archs: [String: Int] = [:]
    // How many (trace, preset) runs reached each finding kind and statistic.
    var covered: [String: Int] = [:]
    // Seeds 1-500 always (the coverage below is checked on them), and 100
    // fresh ones per run; a failure names its seed.
    let seeds = propertyEnvironmentSeed().map { [$0] } ?? (1...500).map { UInt64($0) } + propertySeeds(100)
    for seed in seeds {
      let (arch, text) = DifferentialTrace.make(seed: seed)
      archs[arch, default: 0] += 1
      for preset in ["page", "folio", "split", "refuse"] {
        let reference = ReferenceModel(ReferenceTrace(text), preset: preset).run()
        let product: ReferenceResult
        do {
          product = try productResult(text, preset: preset)
        } catch {
          Issue.record("seed \(seed), \(preset): the product refused a trace of the subset: \(error)\n\(text)")
          disagreements += 1
          continue
        }
        for f in reference.findings { covered[String(f.split(separator: "@")[0]), default: 0] += 1 }
        for (k, v) in reference.stats where v > 0 { covered[k, default: 0] += 1 }
        let diff = differences(product, reference)
        if !diff.isEmpty {
          disagreements += 1
          if getenv("PAGESTATE_DIFFERENTIAL_DUMP") != nil {
            print("=== seed \(seed) \(arch) \(preset)\n  \(diff.joined(separator: "\n  "))")
          }
          if disagreements <= 5 {
            Issue.record("seed \(seed), \(arch), \(preset):\n  \(diff.joined(separator: "\n  "))\n\(text)")
          }
        }
      }
    }
    #expect(disagreements == 0, "\(disagreements) disagreements; traces per arch: \(archs)")
    if getenv("PAGESTATE_DIFFERENTIAL_DUMP") != nil {
      print("coverage: \(covered.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
    }
    // The comparison is not vacuous: on the default 500 seeds the random
    // traces reach every rule the subset has (docs/differential.md).
    if propertyEnvironmentSeed() == nil {
      for name in Self.mustReach {
        #expect(covered[name, default: 0] > 0, "no random trace reached \(name)")
      }
    }
  }

  @Test("the reference model is not the product: a changed rule in it is caught")
  func referenceDisagreesWhenBroken() throws {
    let text = """
      pagestate 1
      arch s390-pv
      memory 0x0+4 order=2 backing=anon
      actor vcpu0 guest
      actor qemu host
      actor nic device
      vcpu0: touch 0x0+2
      vcpu0: share 0x0
      qemu: pin 0x0 longterm
      nic: dma 0x0 write
      qemu: get 0x1
      vcpu0: unshare 0x0

      """
    let product = try productResult(text, preset: "folio")
    let reference = ReferenceModel(ReferenceTrace(text), preset: "folio").run()
    #expect(differences(product, reference) == [])
    #expect(reference.findings == ["hang@12"])
    // Under `page` the same trace is clean; run the reference with the wrong preset.
    let wrong = ReferenceModel(ReferenceTrace(text), preset: "page").run()
    #expect(!differences(product, wrong).isEmpty)
  }
}
