import PageStateEngine
import PageStateModel
import PageStateTrace

/// Writes results as JSON (schema `pagestate/1`, documented in docs/json.md),
/// by hand into a string buffer, keys in a stable order.
public struct JSONReport {
  public static let schema = "pagestate/1"

  public init() {}

  /// `{"schema":..,"command":..,"file":..,"results":[{policy, verdict, findings, statistics}]}`.
  public func write(_ results: [ReplayResult], command: String, file: String, to out: inout some TextOutputStream) {
    var s = "{\"schema\":\"\(JSONReport.schema)\",\"command\":\(quote(command)),\"file\":\(quote(file)),\"results\":["
    for (i, r) in results.enumerated() {
      if i > 0 { s += "," }
      s += "{\"policy\":\(quote(r.policy.name)),\"preset\":\(quote(r.policy.preset)),"
      s += "\"verdict\":\"\(r.hasErrorOrHang ? "fail" : "ok")\",\"findings\":["
      for (j, f) in r.findings.findings.enumerated() {
        if j > 0 { s += "," }
        s += "{\"kind\":\(quote(f.kind.rawValue)),\"severity\":\"\(f.severity.rawValue)\",\"line\":\(f.line),\"time_ns\":\(f.time),"
        s += "\"actor\":\(quote(f.actor)),\"event\":\(quote(f.event)),\"page\":\"\(hex(f.page))\",\"folio\":\"\(hex(f.folio))\","
        s += "\"folio_order\":\(f.folioOrder),\"state\":\(quote(f.state)),\"message\":\(quote(f.message)),\"chain\":["
        s += f.chain.map(quote).joined(separator: ",") + "]}"
        if s.utf8.count > 1 << 16 {
          out.write(s)
          s = ""
        }
      }
      s += "],\"findings_dropped\":\(r.findings.dropped),\"finding_counts\":{"
      s += FindingKind.allCases.map { "\"\($0.rawValue)\":\(r.findings.count($0))" }.joined(separator: ",")
      s += "},\"statistics\":{"
      s += StatisticName.allCases.map { name -> String in
        if name == .estimatedCost { return "\"\(name.rawValue)\":\(formatNumber(r.estimatedCost))" }
        return "\"\(name.rawValue)\":\(r.stats[name])"
      }.joined(separator: ",")
      s += "}}"
    }
    s += "]}\n"
    out.write(s)
  }

  func quote(_ text: String) -> String { JSONText.quote(text) }
}
