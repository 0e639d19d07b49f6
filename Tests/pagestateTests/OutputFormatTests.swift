// End-to-end tests of the output formats of issue 4: SARIF on `replay` and
// `check`, the compare table's row selection, and the timeline files.

import Foundation
import Testing

struct OutputFormatTests {
  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text.prefix(300))")
  }

  @Test("replay --format sarif: a hang is an error result at its trace line; exit 1")
  func replaySARIF() throws {
    let r = try Tool.run(["replay", Tool.s01, "--policy", "folio", "--format", "sarif"])
    #expect(r.status == 1, "\(r)")
    let run = try #require((try json(r.stdout)["runs"] as? [[String: Any]])?.first)
    let results = try #require(run["results"] as? [[String: Any]])
    #expect(results.count == 1)
    #expect(results.first?["ruleId"] as? String == "hang")
    #expect(results.first?["level"] as? String == "error")
    let location = (results.first?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
    #expect((location?["artifactLocation"] as? [String: Any])?["uri"] as? String == Tool.s01)
    #expect((location?["region"] as? [String: Any])?["startLine"] as? Int == 65)
  }

  @Test("check --format sarif: every fixture passes, so no results; a false expectation is one result")
  func checkSARIF() throws {
    let all = try Tool.run(["check", "Fixtures", "--format", "sarif"])
    #expect(all.status == 0, "\(all)")
    let run = try #require((try json(all.stdout)["runs"] as? [[String: Any]])?.first)
    #expect((run["results"] as? [Any])?.isEmpty == true)

    let path = try Tool.temporaryTrace(
      """
      pagestate 1
      arch s390-pv
      memory 0x0
      vcpu0: touch 0x0 write
      expect hang actor=vcpu0 policy=page

      """)
    let bad = try Tool.run(["check", path, "--format", "sarif"])
    #expect(bad.status == 1, "\(bad)")
    let badRun = try #require((try json(bad.stdout)["runs"] as? [[String: Any]])?.first)
    let results = try #require(badRun["results"] as? [[String: Any]])
    #expect(results.map { $0["ruleId"] as? String } == ["expectation-failed"])
  }

  @Test("check --format json is a usage error")
  func checkJSONIsUsage() throws {
    let r = try Tool.run(["check", "Fixtures", "--format", "json"])
    #expect(r.status == 2, "\(r)")
  }

  @Test("compare hides the rows that are the same under every policy unless --all")
  func compareRows() throws {
    let r = try Tool.run(["compare", Tool.s01])
    let table = ComparisonTable(r.stdout)
    #expect(table.rows["events"] == nil, "\(r.stdout)")
    #expect(table.rows["hang"] != nil, "\(r.stdout)")
    #expect(r.stdout.contains("--all shows every row"), "\(r.stdout)")
    let all = try Tool.run(["compare", Tool.s01, "--all"])
    let full = ComparisonTable(all.stdout)
    #expect(full.value("events", "page") == "5", "\(all.stdout)")
    #expect(full.value("io-on-secure", "folio") == "0", "\(all.stdout)")
  }

  @Test("--timeline and --perfetto write an SVG and a trace-event file beside the report", arguments: ["replay", "compare"])
  func timelineFiles(_ command: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pagestate-timeline-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let svg = dir.appendingPathComponent("t.svg").path
    let json = dir.appendingPathComponent("t.json").path
    let r = try Tool.run([command, Tool.s01, "--timeline", svg, "--perfetto", json])
    // replay runs the default preset, split: clean; compare has folio's hang.
    #expect(r.status == (command == "compare" ? 1 : 0), "\(r)")
    let image = try String(contentsOfFile: svg, encoding: .utf8)
    #expect(image.hasPrefix("<?xml") && image.contains("<svg") && image.hasSuffix("</svg>\n"))
    #expect(image.contains("65: vcpu0: touch 0x1 write") == (command == "compare"))
    let trace = try self.json(try String(contentsOfFile: json, encoding: .utf8))
    #expect((trace["traceEvents"] as? [Any])?.isEmpty == false)
  }

  @Test("--timeline to a path that cannot be written: exit 2")
  func timelineUnwritable() throws {
    let r = try Tool.run(["replay", Tool.s01, "--timeline", "/no/such/dir/t.svg"])
    #expect(r.status == 2, "\(r)")
    #expect(r.stderr.contains("cannot write /no/such/dir/t.svg"), "\(r)")
  }

  @Test("--quiet: replay prints nothing and keeps its exit status; check prints only the closing line")
  func quiet() throws {
    let r = try Tool.run(["replay", Tool.s01, "--policy", "folio", "--quiet"])
    #expect(r.status == 1, "\(r)")
    #expect(r.stdout.isEmpty && r.stderr.isEmpty, "\(r)")
    let c = try Tool.run(["check", "Fixtures", "--quiet"])
    #expect(c.status == 0, "\(c)")
    #expect(c.stdout.split(separator: "\n").count == 1, "\(c)")
    #expect(c.lastLine.hasSuffix("passed, 0 failed"), "\(c)")
  }

  @Test("no progress line and no colour when the streams are not terminals")
  func noProgressInPipes() throws {
    var trace = "pagestate 1\narch s390-pv\nmemory 0x0+64\nactor vcpu0 guest\n"
    for i in 0..<150_000 { trace += "vcpu0: touch \(hexPage(i % 64)) write\n" }
    let r = try Tool.run(["replay", "-"], input: trace)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty, "\(r.stderr)")
    #expect(!r.stdout.contains("\u{1B}"))
  }
}

func hexPage(_ v: Int) -> String { "0x" + String(v, radix: 16) }
