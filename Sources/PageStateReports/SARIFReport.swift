import PageStateEngine
import PageStateModel
import PageStateTrace

/// Writes SARIF 2.1.0 (the OASIS Static Analysis Results Interchange Format)
/// so CI systems that read it (GitHub code scanning among them) show
/// findings on the trace lines.
///
/// - `replay`/`compare`: one result per finding kind and trace line, whatever
///   the number of policies that report it (they are listed in the result:
///   `properties.policies`, and the message's `[page, split]` prefix), at
///   most `resultLimit` results a run (GitHub's limit is 25,000); what is
///   left out is counted in the run's `properties`. `ruleId` is the finding
///   kind, `level` `warning` or `error` (a `hang` is an `error`), the
///   location the trace file and the event's line; `partialFingerprints`
///   identify a result across runs (rule, file, line, event).
/// - `check`: one result per failed expectation (`expectation-failed`, at the
///   `expect` line) and per malformed input (`input-error`, at its line and column).
/// - a trace that cannot be read: a log with the `input-error` result and an
///   invocation that did not succeed, never an empty file.
///
/// Paths become URIs relative to `%SRCROOT%` (the working directory, or
/// `workingDirectory`): a relative path as given, an absolute one under the
/// working directory made relative, any other a `file://` URI.
///
/// Written by hand, keys in a stable order, one run per call.
public struct SARIFReport {
  public static let version = "2.1.0"
  public static let schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

  /// Results written per run at most (GitHub code scanning takes 25,000).
  public var resultLimit = 25_000
  /// The directory `%SRCROOT%` stands for: absolute paths under it are made relative.
  public var workingDirectory: String?

  public init() {}

  /// The SARIF level of a severity: `hang` is an `error`.
  public static func level(_ s: Severity) -> String {
    s == .warning ? "warning" : "error"
  }

  /// The findings of `replay` (one or several policies) on `file`.
  public func write(_ results: [ReplayResult], file: String, to out: inout some TextOutputStream) {
    var s = header()
    s += "\"rules\":["
    s += FindingKind.allCases.enumerated().map { i, kind in
      // The explanation's first line: `hang (hang, s390-pv/...): a path waits forever`.
      let first = kind.explanation.split(separator: "\n").first ?? Substring(kind.rawValue)
      let short = first.firstIndex(of: ")").map { first[first.index(after: $0)...].drop { $0 == ":" || $0 == " " } } ?? first
      return rule(id: kind.rawValue, short: String(short), help: kind.explanation, level: SARIFReport.level(kind.defaultSeverity))
    }.joined(separator: ",")
    s += "]}},"
    // One result per (kind, line), in the order of first report; the policies that report it.
    var groups: [ResultGroup] = []
    var groupOf: [UInt64: Int] = [:]
    var resultsDropped = 0
    for r in results {
      for f in r.findings.findings {
        let key = UInt64(f.kind.index) << 48 | UInt64(truncatingIfNeeded: f.line)
        if let g = groupOf[key] {
          if !groups[g].policies.contains(r.policy.name) { groups[g].policies.append(r.policy.name) }
          if f.severity > groups[g].severity { groups[g].severity = f.severity }
        } else if groups.count < resultLimit {
          groupOf[key] = groups.count
          groups.append(ResultGroup(finding: f, severity: f.severity, policies: [r.policy.name]))
        } else {
          resultsDropped += 1
        }
      }
    }
    s += "\"invocations\":[{\"executionSuccessful\":true}],"
    s += "\"properties\":{\"results_dropped\":\(resultsDropped),\"result_limit\":\(resultLimit),\"findings_not_kept\":{"
    s += results.map { "\(q($0.policy.name)):\($0.findings.dropped)" }.joined(separator: ",")
    s += "},\"policies\":[\(results.map { q($0.policy.name) }.joined(separator: ","))]},"
    s += "\"results\":["
    let uri = artifact(file)
    for (i, g) in groups.enumerated() {
      if i > 0 { s += "," }
      let f = g.finding
      let message = (results.count > 1 ? "[\(g.policies.joined(separator: ", "))] " : "") + f.message
      s += "{\"ruleId\":\(q(f.kind.rawValue)),\"ruleIndex\":\(f.kind.index),\"level\":\"\(SARIFReport.level(g.severity))\","
      s += "\"message\":{\"text\":\(q(message))},"
      s += "\"locations\":[\(location(uri, line: f.line, column: 0))],"
      s += "\"partialFingerprints\":{\"pagestate/v1\":\"\(SARIFReport.fingerprint(f.kind.rawValue, file, f.line, f.event))\"},"
      s += "\"properties\":{\"policies\":[\(g.policies.map(q).joined(separator: ","))],\"severity\":\"\(g.severity.rawValue)\",\"actor\":\(q(f.actor)),"
      s += "\"event\":\(q(f.event)),\"page\":\"\(hex(f.page))\",\"folio\":\"\(hex(f.folio))\",\"folio_order\":\(f.folioOrder),"
      s += "\"state\":\(q(f.state)),\"time_ns\":\(f.time),\"chain\":[\(f.chain.map(q).joined(separator: ","))]}}"
      if s.utf8.count > 1 << 16 {
        out.write(s)
        s = ""
      }
    }
    s += "]}]}\n"
    out.write(s)
  }

  /// The findings of one kind on one line, under the policies that report it.
  struct ResultGroup {
    var finding: Finding
    var severity: Severity
    var policies: [String]
  }

  /// A trace that could not be read or replayed: the input error as the
  /// run's only result, and an invocation that did not succeed.
  public func write(inputError e: TraceError, to out: inout some TextOutputStream) {
    var s = header()
    s += "\"rules\":[" + inputErrorRule + "]}},"
    s += "\"invocations\":[{\"executionSuccessful\":false,\"exitCode\":2}],"
    s += "\"results\":[{\"ruleId\":\"input-error\",\"ruleIndex\":0,\"level\":\"error\",\"message\":{\"text\":\(q(e.message))},"
    s += "\"locations\":[\(location(artifact(e.location.file), line: e.location.line, column: e.location.column))]}]}]}\n"
    out.write(s)
  }

  var inputErrorRule: String {
    rule(
      id: "input-error", short: "the trace is malformed or the model cannot apply an event",
      help: "The trace could not be read or replayed: the message names what was expected and what was found. pagestate exits 2 on such input.",
      level: "error")
  }

  /// A stable identity of a result across runs: FNV-1a over rule, file, line and event.
  static func fingerprint(_ rule: String, _ file: String, _ line: Int, _ event: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in "\(rule)\u{0}\(file)\u{0}\(line)\u{0}\(event)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    let hexDigits = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hexDigits.count) + hexDigits
  }

  /// The failed expectations and input errors of `check`.
  public func write(check outcomes: [CheckOutcome], to out: inout some TextOutputStream) {
    var s = header()
    s += "\"rules\":["
    s += rule(
      id: "expectation-failed", short: "an expect line of the trace does not hold",
      help: "An `expect` line of the trace does not hold under the policy named in the message. Replay the trace under that policy (pagestate replay FILE --policy P) to see every finding and statistic.",
      level: "error")
    s += ","
    s += inputErrorRule
    s += "]}},\"results\":["
    var items: [String] = []
    for o in outcomes {
      if let e = o.inputError {
        items.append(
          "{\"ruleId\":\"input-error\",\"ruleIndex\":1,\"level\":\"error\",\"message\":{\"text\":\(q(e.message))},"
            + "\"locations\":[\(location(artifact(o.file), line: e.location.line, column: e.location.column))]}")
      }
      for (i, failure) in o.failures.enumerated() where i < o.failureLines.count {
        items.append(
          "{\"ruleId\":\"expectation-failed\",\"ruleIndex\":0,\"level\":\"error\",\"message\":{\"text\":\(q(failure))},"
            + "\"locations\":[\(location(artifact(o.file), line: o.failureLines[i], column: 0))]}")
      }
    }
    s += items.joined(separator: ",")
    s += "]}]}\n"
    out.write(s)
  }

  func header() -> String {
    "{\"$schema\":\(q(SARIFReport.schema)),\"version\":\"\(SARIFReport.version)\",\"runs\":[{\"tool\":{\"driver\":{"
      + "\"name\":\"pagestate\",\"version\":\"\(PageStateVersion.string)\",\"semanticVersion\":\"\(PageStateVersion.string)\","
      + "\"informationUri\":\"https://github.com/pagestate/pagestate\","
  }

  func rule(id: String, short: String, help: String, level: String) -> String {
    "{\"id\":\(q(id)),\"shortDescription\":{\"text\":\(q(short))},\"fullDescription\":{\"text\":\(q(help))},"
      + "\"help\":{\"text\":\(q(help))},\"defaultConfiguration\":{\"level\":\"\(level)\"}}"
  }

  /// The `artifactLocation` of a path: relative to `%SRCROOT%` where it can be.
  func artifact(_ file: String) -> String {
    var path = file
    if path.hasPrefix("/"), let root = workingDirectory, path.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
      path = String(path.dropFirst(root.hasSuffix("/") ? root.count : root.count + 1))
    }
    while path.hasPrefix("./") { path.removeFirst(2) }
    if path.hasPrefix("/") {
      return "{\"uri\":\(q("file://" + SARIFReport.percentEncoded(path)))}"
    }
    return "{\"uri\":\(q(SARIFReport.percentEncoded(path))),\"uriBaseId\":\"%SRCROOT%\"}"
  }

  /// A physical location: the artifact and, when known, the line (and column).
  func location(_ artifact: String, line: Int, column: Int) -> String {
    var s = "{\"physicalLocation\":{\"artifactLocation\":" + artifact
    if line > 0 {
      s += ",\"region\":{\"startLine\":\(line)" + (column > 0 ? ",\"startColumn\":\(column)" : "") + "}"
    }
    return s + "}}"
  }

  /// A path as a URI path: unreserved characters and `/` stay, the rest is %XX.
  static func percentEncoded(_ path: String) -> String {
    var s = ""
    for b in path.utf8 {
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
        s.unicodeScalars.append(Unicode.Scalar(b))
      default:
        let h = String(b, radix: 16, uppercase: true)
        s += "%" + (h.count == 1 ? "0" + h : h)
      }
    }
    return s
  }

  func q(_ text: String) -> String { JSONText.quote(text) }
}
