import Foundation
import PageStateEngine
import PageStateModel
import PageStateReports
import PageStateTrace
import Testing

/// Golden files: the reports of the built-in S1 scenario. Set
/// `PAGESTATE_UPDATE_GOLDEN=1` to rewrite them after an intended change.
struct ReportGoldenTests {
  func results() throws -> [ReplayResult] { try GoldenFile.s1Results() }

  func check(_ actual: String, _ name: String) throws { try GoldenFile.check(actual, name) }

  @Test func comparisonText() throws {
    var out = ""
    TextReport().writeComparison(try results(), file: "S1.trace", to: &out)
    try check(out, "S1-compare.txt")
  }

  @Test func comparisonTextAllRows() throws {
    var out = ""
    TextReport().writeComparison(try results(), file: "S1.trace", all: true, to: &out)
    try check(out, "S1-compare-all.txt")
    // Every finding kind and statistic has a row; the differing ones are starred.
    let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
    let rows = lines.dropFirst(3).prefix { !$0.isEmpty }
    #expect(rows.count == 1 + FindingKind.allCases.count + StatisticName.allCases.count)
    #expect(out.contains("* hang "))
    #expect(out.contains("  events "))
  }

  @Test func comparisonOfOnePolicyShowsNonZeroRows() throws {
    var out = ""
    TextReport().writeComparison([try results()[1]], file: "S1.trace", to: &out)
    #expect(out.hasPrefix("S1.trace: 1 policy\n"))
    #expect(out.contains("  hang "))
    #expect(out.contains("  events "))
    #expect(!out.contains("  splits "))
  }

  @Test func replayText() throws {
    var out = ""
    TextReport().write(try results()[1], file: "S1.trace", to: &out)
    try check(out, "S1-replay-folio.txt")
  }

  @Test func json() throws {
    var out = ""
    JSONReport().write(try results(), command: "compare", file: "S1.trace", to: &out)
    try check(out, "S1-compare.json")
    let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
    #expect(object?["schema"] as? String == "pagestate/1")
    #expect((object?["results"] as? [Any])?.count == 4)
  }

  @Test func jsonEscapesStrings() throws {
    var out = ""
    var r = try results()[0]
    r.findings = FindingLog()
    var log = FindingLog()
    log.add(Finding(kind: .stall, line: 1, time: 0, actor: "a\"b", event: "note", page: 0, folio: 0, folioOrder: 0, state: "x", message: "tab\there\nnewline \\ \u{1}"))
    r.findings = log
    JSONReport().write([r], command: "replay", file: "f", to: &out)
    let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
    let f = ((object?["results"] as? [[String: Any]])?.first?["findings"] as? [[String: Any]])?.first
    #expect(f?["actor"] as? String == "a\"b")
    #expect(f?["message"] as? String == "tab\there\nnewline \\ \u{1}")
  }

  @Test func colourOnlyAddsEscapes() throws {
    var plain = ""
    var coloured = ""
    var report = TextReport()
    report.writeComparison(try results(), file: "S1.trace", to: &plain)
    report.colour = true
    report.writeComparison(try results(), file: "S1.trace", to: &coloured)
    #expect(coloured.contains("\u{1B}[1;31m"))
    #expect(coloured.contains("\u{1B}[1;35mhang"))
    // Without the escape sequences it is the plain text, columns and all.
    var stripped = ""
    var inEscape = false
    for c in coloured.unicodeScalars {
      if c == "\u{1B}" { inEscape = true; continue }
      if inEscape { if c == "m" { inEscape = false }; continue }
      stripped.unicodeScalars.append(c)
    }
    #expect(stripped == plain)
    var replay = ""
    report.write(try results()[1], file: "S1.trace", to: &replay)
    #expect(replay.contains("\u{1B}[1;31mFAIL"))
  }

  @Test func progressLineClearsOnlyWhatItShowed() {
    var progress = ProgressLine(file: "t.trace")
    var out = ""
    progress.clear(to: &out)
    #expect(out.isEmpty)
    #expect(!progress.shown)
  }
}
