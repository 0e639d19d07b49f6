import PageStateModel
import PageStateTrace

/// The verdict of `check` on one trace file.
public struct CheckOutcome: Sendable {
  public var file: String
  /// The policies whose results were checked.
  public var policies: [String]
  public var expectations: Int
  /// One line per failed expectation (or the input error).
  public var failures: [String]
  /// The trace line of each failed expectation's `expect` line, beside `failures`.
  public var failureLines: [Int] = []
  /// A malformed input (exit 2).
  public var inputError: TraceError?

  public init(file: String, policies: [String], expectations: Int, failures: [String], inputError: TraceError? = nil) {
    self.file = file
    self.policies = policies
    self.expectations = expectations
    self.failures = failures
    self.inputError = inputError
  }

  public var passed: Bool { failures.isEmpty && inputError == nil }
}

/// Verifies `expect` lines (trace-format.md, Assertions).
public enum Check {
  /// Checks one trace: replays it under every preset in one pass, then
  /// verifies each expectation under the policies the file names.
  public static func run(fileName: String, source: ByteSource, overrides: [(key: String, value: String)] = []) -> CheckOutcome {
    let session: Session
    let results: [ReplayResult]
    do {
      (session, results) = try Session.run(fileName: fileName, source: source, mode: .check, overrides: overrides)
    } catch {
      return CheckOutcome(file: fileName, policies: [], expectations: 0, failures: [], inputError: error)
    }
    // The policies: those named by `policy=` of the expect lines, plus the
    // preset of the file's `policy` statement; if none, every preset.
    var names = Set(session.expectations.compactMap(\.policy))
    if let preset = session.declaration?.preset { names.insert(preset) }
    let chosen = results.filter { names.isEmpty || names.contains($0.policy.preset) }
    var outcome = CheckOutcome(file: fileName, policies: chosen.map(\.policy.name), expectations: session.expectations.count, failures: [])
    if let bad = chosen.first(where: { $0.error != nil }) {
      outcome.inputError = bad.error
      return outcome
    }
    for e in session.expectations {
      for r in chosen where e.policy == nil || e.policy == r.policy.preset {
        if let failure = verify(e, r) {
          outcome.failures.append("line \(e.line): \(e.text): under \(r.policy.name): \(failure)")
          outcome.failureLines.append(e.line)
        }
      }
    }
    return outcome
  }

  /// Nil if the expectation holds for the result, else what was found instead.
  public static func verify(_ e: Expectation, _ r: ReplayResult) -> String? {
    let findings = r.findings.findings
    switch e.claim {
    case .clean:
      let bad = findings.filter { $0.severity >= .error }
      return bad.isEmpty ? nil : "found \(bad.count) finding\(bad.count == 1 ? "" : "s") of severity error or hang, first: \(bad[0].kind.rawValue) at line \(bad[0].line) (\(bad[0].message))"
    case .noFinding(let kind):
      let n = r.findings.count(kind)
      guard n > 0 else { return nil }
      let first = findings.first { $0.kind == kind }
      return "found \(n) \(kind.rawValue)" + (first.map { ", first at line \($0.line): \($0.message)" } ?? "")
    case .finding(let kind):
      let matching = findings.filter { f in
        f.kind == kind && (e.page == nil || f.page == e.page!) && (e.actor == nil || f.actor == e.actor!)
          && (e.findingLine == nil || f.line == e.findingLine!)
      }
      if let count = e.count {
        return matching.count == count ? nil : "expected exactly \(count) matching \(kind.rawValue), found \(matching.count)" + summary(kind, findings)
      }
      return matching.isEmpty ? "no matching \(kind.rawValue) finding" + summary(kind, findings) : nil
    case .statistic(let name, let value):
      guard let actual = r.statistic(name) else { return "unknown statistic '\(name)'" }
      if actual == value { return nil }
      let isDuration = StatisticName(rawValue: name)?.isDuration ?? false
      let show = { (v: Double) in isDuration ? formatDuration(UInt64(v)) : (v == v.rounded() ? String(Int64(v)) : String(v)) }
      return "\(name) is \(show(actual)), expected \(show(value))"
    }
  }

  static func summary(_ kind: FindingKind, _ findings: [Finding]) -> String {
    let same = findings.filter { $0.kind == kind }
    if same.isEmpty {
      let kinds = Set(findings.map(\.kind.rawValue)).sorted()
      return kinds.isEmpty ? " (no findings at all)" : " (findings: \(kinds.joined(separator: ", ")))"
    }
    return " (\(kind.rawValue) at " + same.prefix(5).map { "line \($0.line) \($0.actor) page \(hex($0.page))" }.joined(separator: "; ") + ")"
  }
}
