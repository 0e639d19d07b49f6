import Foundation
import PageStateEngine
import PageStateModel
import PageStateReports
import PageStateTrace
import Testing

/// SARIF 2.1.0: golden files, and the structure a SARIF reader relies on.
struct SARIFReportTests {
  func parse(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func replayGolden() throws {
    var out = ""
    SARIFReport().write([try GoldenFile.s1Results()[1]], file: "Fixtures/S1.trace", to: &out)
    try GoldenFile.check(out, "S1-replay-folio.sarif")
  }

  @Test func replayParsesWithRulesAndLocations() throws {
    var out = ""
    let results = try GoldenFile.s1Results()
    SARIFReport().write(results, file: "Fixtures/S1.trace", to: &out)
    let top = try parse(out)
    #expect(top["version"] as? String == "2.1.0")
    #expect((top["$schema"] as? String)?.hasSuffix("sarif-schema-2.1.0.json") == true)
    let run = try #require((top["runs"] as? [[String: Any]])?.first)
    let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
    #expect(driver["name"] as? String == "pagestate")
    let rules = try #require(driver["rules"] as? [[String: Any]])
    #expect(rules.map { $0["id"] as? String } == FindingKind.allCases.map(\.rawValue))
    for rule in rules {
      let help = (rule["help"] as? [String: Any])?["text"] as? String
      #expect(help == FindingKind(rawValue: rule["id"] as? String ?? "")?.explanation)
    }
    let sarifResults = try #require(run["results"] as? [[String: Any]])
    // One result per finding kind and line, whatever the number of policies reporting it.
    var groups = Set<String>()
    for r in results { for f in r.findings.findings { groups.insert("\(f.kind.rawValue):\(f.line)") } }
    #expect(sarifResults.count == groups.count)
    #expect(driver["version"] as? String == PageStateVersion.string)
    for r in sarifResults {
      let id = try #require(r["ruleId"] as? String)
      #expect(rules[r["ruleIndex"] as? Int ?? -1]["id"] as? String == id)
      let kind = try #require(FindingKind(rawValue: id))
      #expect(r["level"] as? String == (kind.defaultSeverity == .warning ? "warning" : "error"))
      let location = try #require((r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
      #expect((location["artifactLocation"] as? [String: Any])?["uri"] as? String == "Fixtures/S1.trace")
      #expect(((location["region"] as? [String: Any])?["startLine"] as? Int ?? 0) > 0)
    }
    // The hang of `folio` is an error at the touch's line, named by its policy.
    let hang = try #require(sarifResults.first { $0["ruleId"] as? String == "hang" })
    #expect(hang["level"] as? String == "error")
    #expect(((hang["message"] as? [String: Any])?["text"] as? String)?.hasPrefix("[folio] ") == true)
  }

  @Test(arguments: [
    ("Fixtures/a b.trace", "Fixtures/a%20b.trace"),
    ("/abs/S1.trace", "file:///abs/S1.trace"),
    ("<stdin>", "%3Cstdin%3E"),
  ])
  func uris(_ file: String, _ uri: String) throws {
    var out = ""
    SARIFReport().write([try GoldenFile.s1Results()[1]], file: file, to: &out)
    let run = try #require((try parse(out)["runs"] as? [[String: Any]])?.first)
    let r = try #require((run["results"] as? [[String: Any]])?.first)
    let location = (r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
    #expect((location?["artifactLocation"] as? [String: Any])?["uri"] as? String == uri)
  }

  @Test("the same finding under several policies is one result listing them; the limit and what it drops are in the run")
  func groupedAndLimited() throws {
    let trace = """
      arch s390-pv
      memory 0x0+4 order=2
      actor d device
      actor g guest
      g: touch 0x0+4 write
      d: dma 0x0 read
      d: dma 0x1 read
      d: dma 0x2 read

      """
    let results = try Session.run(fileName: "t.trace", source: ByteSource(string: trace), mode: .compare(["page", "folio", "split"])).1
    var out = ""
    SARIFReport().write(results, file: "t.trace", to: &out)
    let run = try #require((try parse(out)["runs"] as? [[String: Any]])?.first)
    let sarifResults = try #require(run["results"] as? [[String: Any]])
    let first = try #require(sarifResults.first { $0["ruleId"] as? String == "io-on-secure" })
    #expect((first["properties"] as? [String: Any])?["policies"] as? [String] == ["page", "folio", "split"])
    #expect(((first["message"] as? [String: Any])?["text"] as? String)?.hasPrefix("[page, folio, split] ") == true)
    #expect(((first["partialFingerprints"] as? [String: Any])?["pagestate/v1"] as? String)?.count == 16)
    var limited = SARIFReport()
    limited.resultLimit = 1
    out = ""
    limited.write(results, file: "/work/x/t.trace", to: &out)
    let run2 = try #require((try parse(out)["runs"] as? [[String: Any]])?.first)
    #expect((run2["results"] as? [[String: Any]])?.count == 1)
    #expect(((run2["properties"] as? [String: Any])?["results_dropped"] as? Int ?? 0) > 0)
    var rooted = SARIFReport()
    rooted.workingDirectory = "/work/x"
    out = ""
    rooted.write(results, file: "/work/x/sub/t.trace", to: &out)
    #expect(out.contains("\"uri\":\"sub/t.trace\",\"uriBaseId\":\"%SRCROOT%\""))
  }

  @Test("bad input still gives a SARIF log: the error as a result, the invocation failed")
  func inputError() throws {
    var out = ""
    SARIFReport().write(inputError: TraceError(PageStateTrace.SourceLocation(file: "bad.trace", line: 3, column: 4), "put 0x0 by h, which holds nothing"), to: &out)
    let run = try #require((try parse(out)["runs"] as? [[String: Any]])?.first)
    #expect((run["invocations"] as? [[String: Any]])?.first?["executionSuccessful"] as? Bool == false)
    #expect((run["results"] as? [[String: Any]])?.first?["ruleId"] as? String == "input-error")
  }

  @Test func checkGolden() throws {
    let trace = """
      pagestate 1
      arch s390-pv
      memory 0x0
      vcpu0: touch 0x0 write
      expect hang actor=vcpu0 policy=page
      expect stat imports=1 policy=page

      """
    let outcome = Check.run(fileName: "t.trace", source: ByteSource(string: trace))
    let bad = CheckOutcome(
      file: "bad.trace", policies: [], expectations: 0, failures: [],
      inputError: TraceError(PageStateTrace.SourceLocation(file: "bad.trace", line: 3, column: 8), "expected a page"))
    var out = ""
    SARIFReport().write(check: [outcome, bad], to: &out)
    try GoldenFile.check(out, "check.sarif")
    let run = try #require((try parse(out)["runs"] as? [[String: Any]])?.first)
    let results = try #require(run["results"] as? [[String: Any]])
    #expect(results.map { $0["ruleId"] as? String } == ["expectation-failed", "input-error"])
    let region = ((results[0]["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any]
    #expect(region?["startLine"] as? Int == 5)
  }
}
