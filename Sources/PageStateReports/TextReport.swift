import PageStateEngine
import PageStateModel
import PageStateTrace

/// Writes results for people: aligned columns, the trace line quoted under each finding.
public struct TextReport {
  /// Trace lines by number, for quoting (may be empty, e.g. for standard input).
  public var quotes: [Int: String]
  /// The most findings listed per policy (the counts are always complete).
  public var findingLimit = 50
  /// ANSI colours (verdicts, finding kinds by severity). The caller turns
  /// them on only when standard output is a terminal and `NO_COLOR` is unset.
  public var colour = false

  public init(quotes: [Int: String] = [:]) {
    self.quotes = quotes
  }

  /// One finding: kind, line, actor, event, page/folio/state, the explanation,
  /// the blocker chain and the quoted trace line.
  public func write(_ f: Finding, to out: inout some TextOutputStream) {
    let head = "\(paint(pad(f.kind.rawValue, 20), f.severity)) line \(pad(String(f.line), 5)) \(pad(f.actor, 8)) \(f.event)"
    out.write("  \(head)\n")
    out.write("      page \(hex(f.page)) (\(f.state)), folio \(hex(f.folio)) order \(f.folioOrder), t=\(formatDuration(f.time)), \(f.severity.rawValue)\n")
    out.write("      \(f.message)\n")
    for link in f.chain.dropFirst() { out.write("      also: \(link)\n") }
    if let q = quotes[f.line] { out.write("      | \(f.line): \(q.trimmingCharacters())\n") }
  }

  /// A replay: the policy, every finding, then the non-zero statistics.
  public func write(_ r: ReplayResult, file: String, to out: inout some TextOutputStream) {
    out.write("\(file): policy \(r.policy.name)\n")
    let all = r.findings.findings
    if all.isEmpty {
      out.write("no findings\n")
    } else {
      out.write("\(all.count + r.findings.dropped) finding\(all.count == 1 ? "" : "s"):\n")
      for f in all.prefix(findingLimit) { write(f, to: &out) }
      if all.count > findingLimit { out.write("  ... \(all.count - findingLimit) more (use --format json for all)\n") }
      if r.findings.dropped > 0 {
        out.write("  ... and \(r.findings.dropped) more counted but not kept: the replay keeps the first \(all.count) (--max-findings N raises that, 0 keeps all); the counts and statistics are exact\n")
      }
    }
    out.write("statistics:\n")
    var cells: [String] = []
    for name in StatisticName.allCases {
      let v = statValue(r, name.rawValue)
      if v != "0" && v != "0ns" { cells.append("\(name.rawValue)=\(v)") }
    }
    writeWrapped(cells, to: &out)
    let verdict = r.hasErrorOrHang ? "FAIL: findings of severity error or hang" : "ok: no finding of severity error or hang"
    out.write("\(paint(verdict, failed: r.hasErrorOrHang))\n")
  }

  /// The side-by-side table of `compare`: one column per policy and a row per
  /// finding kind and statistic. By default only the rows where the policies
  /// differ (with a single policy: the non-zero rows), always the verdict, and
  /// a line counting the rows left out; `all` prints every row and marks the
  /// differing ones `*`. Then each policy's first error or hang (else its
  /// first warning), quoted.
  public func writeComparison(_ results: [ReplayResult], file: String, all: Bool = false, to out: inout some TextOutputStream) {
    out.write("\(file): \(results.count) polic\(results.count == 1 ? "y" : "ies")\n\n")
    let names = results.map(\.policy.name)
    let width = max(10, names.map(\.count).max() ?? 0) + 2
    var rows: [(String, [String])] = []
    rows.append(("verdict", results.map { $0.hasErrorOrHang ? "FAIL" : "ok" }))
    for kind in FindingKind.allCases {
      rows.append((kind.rawValue, results.map { String($0.findings.count(kind)) }))
    }
    for s in StatisticName.allCases {
      rows.append((s.rawValue, results.map { statValue($0, s.rawValue) }))
    }
    let label = 24
    out.write("  \(pad("", label))" + names.map { lpad($0, width) }.joined() + "\n")
    var hidden = 0
    for (name, values) in rows {
      let differs = Set(values).count > 1
      let zero = values.allSatisfy { $0 == "0" || $0 == "0ns" }
      let shown = all || name == "verdict" || (results.count > 1 ? differs : !zero)
      if !shown {
        hidden += 1
        continue
      }
      var cells = values.map { lpad($0, width) }
      if name == "verdict" { cells = cells.map { paint($0, failed: $0.hasSuffix("FAIL")) } }
      out.write((all && differs ? "* " : "  ") + pad(name, label) + cells.joined() + "\n")
    }
    if hidden > 0 {
      out.write("  (\(hidden) rows \(results.count > 1 ? "the same under every policy" : "at zero") not shown; --all shows every row)\n")
    }
    out.write("\n")
    for r in results {
      if let f = r.findings.findings.first(where: { $0.severity >= .error }) {
        out.write("\(r.policy.name): first \(paint(f.kind.rawValue, f.severity)):\n")
        write(f, to: &out)
      } else if let f = r.findings.findings.first {
        out.write("\(r.policy.name): no error or hang; first warning, \(paint(f.kind.rawValue, f.severity)):\n")
        write(f, to: &out)
      } else {
        out.write("\(r.policy.name): \(paint("clean", failed: false))\n")
      }
    }
  }

  /// Text in the colour of a severity: warning yellow, error red, hang bold magenta.
  func paint(_ text: String, _ severity: Severity) -> String {
    guard colour else { return text }
    switch severity {
    case .warning: return "\u{1B}[33m\(text)\u{1B}[0m"
    case .error: return "\u{1B}[31m\(text)\u{1B}[0m"
    case .hang: return "\u{1B}[1;35m\(text)\u{1B}[0m"
    }
  }

  /// A verdict: bold red when failed, green otherwise.
  func paint(_ text: String, failed: Bool) -> String {
    guard colour else { return text }
    return failed ? "\u{1B}[1;31m\(text)\u{1B}[0m" : "\u{1B}[32m\(text)\u{1B}[0m"
  }

  func writeWrapped(_ cells: [String], to out: inout some TextOutputStream) {
    var line = " "
    for c in cells {
      if line.count + c.count + 2 > 78 {
        out.write(line + "\n")
        line = " "
      }
      line += " " + c
    }
    if line.count > 1 { out.write(line + "\n") }
  }
}

/// A statistic as reports print it (durations with a unit, costs with up to 2 decimals).
public func statValue(_ r: ReplayResult, _ name: String) -> String {
  if name == StatisticName.estimatedCost.rawValue { return formatNumber(r.estimatedCost) }
  if let s = StatisticName(rawValue: name) {
    return s.isDuration ? formatDuration(r.stats[s]) : String(r.stats[s])
  }
  return String(Int(r.statistic(name) ?? 0))
}

/// `12`, `12.5`, `0.25`.
public func formatNumber(_ v: Double) -> String {
  if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
  let scaled = (v * 100).rounded() / 100
  return String(scaled)
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }

extension String {
  func trimmingCharacters() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
    return String(s)
  }
}
