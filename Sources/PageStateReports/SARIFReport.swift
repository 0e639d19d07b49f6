import PageStateEngine
import PageStateModel
import PageStateTrace

/// Writes SARIF 2.1.0 (the OASIS Static Analysis Results Interchange Format)
/// so CI systems that read it show findings on the trace lines.
///
/// - `replay`: one result per finding, `ruleId` the finding kind, `level`
///   `warning` or `error` (a `hang` is an `error`), located at the trace file
///   (its path as given, relative to `%SRCROOT%` unless absolute) and the line
///   of the event; one rule per finding kind with `pagestate explain` as help.
/// - `check`: one result per failed expectation (`expectation-failed`, at the
///   `expect` line) and per malformed input (`input-error`, at its line and column).
///
/// Written by hand, keys in a stable order, one run per call.
public struct SARIFReport {
  public static let version = "2.1.0"
  public static let schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

  /// The findings of at most this many results per policy are written (the
  /// finding log itself keeps at most `FindingLog.storedLimit`).
  public var resultLimit = FindingLog.storedLimit

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
    s += "]}},\"results\":["
    var first = true
    for r in results {
      for f in r.findings.findings.prefix(resultLimit) {
        if !first { s += "," }
        first = false
        var message = f.message
        if results.count > 1 { message = "[\(r.policy.name)] " + message }
        s += "{\"ruleId\":\(q(f.kind.rawValue)),\"ruleIndex\":\(f.kind.index),\"level\":\"\(SARIFReport.level(f.severity))\","
        s += "\"message\":{\"text\":\(q(message))},"
        s += "\"locations\":[\(location(file: file, line: f.line, column: 0))],"
        s += "\"properties\":{\"policy\":\(q(r.policy.name)),\"severity\":\"\(f.severity.rawValue)\",\"actor\":\(q(f.actor)),"
        s += "\"event\":\(q(f.event)),\"page\":\"\(hex(f.page))\",\"folio\":\"\(hex(f.folio))\",\"folio_order\":\(f.folioOrder),"
        s += "\"state\":\(q(f.state)),\"time_ns\":\(f.time),\"chain\":[\(f.chain.map(q).joined(separator: ","))]}}"
        if s.utf8.count > 1 << 16 {
          out.write(s)
          s = ""
        }
      }
    }
    s += "]}]}\n"
    out.write(s)
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
    s += rule(
      id: "input-error", short: "the trace is malformed or the model cannot apply an event",
      help: "The trace could not be read or replayed: the message names what was expected and what was found. pagestate exits 2 on such input.",
      level: "error")
    s += "]}},\"results\":["
    var items: [String] = []
    for o in outcomes {
      if let e = o.inputError {
        items.append(
          "{\"ruleId\":\"input-error\",\"ruleIndex\":1,\"level\":\"error\",\"message\":{\"text\":\(q(e.message))},"
            + "\"locations\":[\(location(file: o.file, line: e.location.line, column: e.location.column))]}")
      }
      for (i, failure) in o.failures.enumerated() where i < o.failureLines.count {
        items.append(
          "{\"ruleId\":\"expectation-failed\",\"ruleIndex\":0,\"level\":\"error\",\"message\":{\"text\":\(q(failure))},"
            + "\"locations\":[\(location(file: o.file, line: o.failureLines[i], column: 0))]}")
      }
    }
    s += items.joined(separator: ",")
    s += "]}]}\n"
    out.write(s)
  }

  func header() -> String {
    "{\"$schema\":\(q(SARIFReport.schema)),\"version\":\"\(SARIFReport.version)\",\"runs\":[{\"tool\":{\"driver\":{"
      + "\"name\":\"pagestate\","
  }

  func rule(id: String, short: String, help: String, level: String) -> String {
    "{\"id\":\(q(id)),\"shortDescription\":{\"text\":\(q(short))},\"fullDescription\":{\"text\":\(q(help))},"
      + "\"help\":{\"text\":\(q(help))},\"defaultConfiguration\":{\"level\":\"\(level)\"}}"
  }

  /// A physical location: the file as given (a relative URI reference against
  /// `%SRCROOT%`, or a `file://` URI for an absolute path) and, when known, the line.
  func location(file: String, line: Int, column: Int) -> String {
    var s = "{\"physicalLocation\":{\"artifactLocation\":{"
    if file.hasPrefix("/") {
      s += "\"uri\":\(q("file://" + SARIFReport.percentEncoded(file)))}"
    } else {
      s += "\"uri\":\(q(SARIFReport.percentEncoded(file))),\"uriBaseId\":\"%SRCROOT%\"}"
    }
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
