import Foundation
import PageStateEngine
import PageStateModel
import PageStateReports
import PageStateTrace
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// A generated s390 trace of about `events` events: guest touches, writeback
/// windows that make the second touch wait, and DMA windows, over 4096 folios.
func generatedTrace(events: Int) -> String {
  var s = "pagestate 1\narch s390-pv\nmemory 0x0+16384 order=2\nactor vcpu0 guest\nactor vcpu1 guest\nactor flusher host\nactor disk device\n"
  var n = 0
  var i = 0
  while n < events {
    let f = (i * 12347) % 4096 * 4
    let folio = "\(hex(UInt64(f)))..\(hex(UInt64(f + 3)))"
    s += "vcpu0: touch \(hex(UInt64(f))) write\nflusher: writeback-start \(folio)\nvcpu1: touch \(hex(UInt64(f + 1))) write\n"
    s += "disk: dma-start \(folio) read id=w\ndisk: dma-end id=w\nflusher: writeback-end \(folio)\n"
    n += 6
    i += 1
  }
  return s
}

/// The timeline recorder, the SVG timeline and the Perfetto trace.
struct TimelineTests {
  func s1(recording: Bool = true) throws -> [ReplayResult] {
    try Session.run(
      fileName: "S1.trace", source: ByteSource(string: DemoScenario.trace), mode: .compare(Policy.presetNames), recordsTimeline: recording
    ).1
  }

  @Test("a row of many pages shows the state most of them are in, not a few notable ones")
  func rowsByMajority() throws {
    // 4096 pages (rows of 2^k pages); in the first row (32 pages), 8 exported.
    var t = "arch s390-pv\nmemory 0x0+4096 order=0\nactor g guest\ng: touch 0x0+4096 write\n"
    t += "h: make-accessible 0x0+8\n"  // a quarter of a 32-page row
    t += "h: make-accessible 0x800+1024\n"
    let results = try Session.run(fileName: "t.trace", source: ByteSource(string: t), mode: .replay(preset: "page"), recordsTimeline: true).1
    let tl = try #require(results[0].timeline)
    #expect(tl.rowUnit != "page")
    let last = tl.bucketCount - 1
    #expect(tl.state(row: 0, bucket: last).map { tl.stateNames[$0] } == "secure")
    // A row whose pages are all exported shows it.
    let exportedRow = try #require(tl.rows.firstIndex { $0.label.hasPrefix("0x800") })
    #expect(tl.state(row: exportedRow, bucket: last).map { tl.stateNames[$0] } == "exported")
  }

  @Test func recordingDoesNotChangeResults() throws {
    let plain = try s1(recording: false)
    let recorded = try s1()
    #expect(plain.map(\.findings) == recorded.map(\.findings))
    #expect(plain.map(\.stats) == recorded.map(\.stats))
    #expect(plain.allSatisfy { $0.timeline == nil })
    #expect(recorded.allSatisfy { $0.timeline != nil })
  }

  @Test func s1FolioTimeline() throws {
    let t = try #require(try s1()[1].timeline)
    #expect(t.rowUnit == "page")
    #expect(t.rows.map(\.label) == ["0x0", "0x1", "0x2", "0x3"])
    // Page 1 ends exported (the folio-wide hook), page 0 pinned-shared.
    let last = t.bucketCount - 1
    #expect(t.state(row: 1, bucket: last).map { t.stateNames[$0] } == "exported")
    #expect(t.state(row: 0, bucket: last).map { t.stateNames[$0] } == "pinned-shared")
    #expect(t.state(row: 1, bucket: 0).map { t.stateNames[$0] } == "secure")
    // vcpu0 waits from its touch of page 1 to the end: never ends.
    #expect(t.waits.count == 1)
    #expect(t.waits.first?.open == true)
    #expect(t.waits.first.map { t.actorNames[Int($0.actor)] } == "vcpu0")
    #expect(t.marks.map(\.finding.kind) == [.hang])
    #expect(t.marks.first?.row == 1)
    #expect(t.dmaWindows.count == 1)
    // Counters: 3 exports by the end.
    let exports = TimelineRecorder.counterNames.firstIndex(of: "exports")!
    #expect(t.counter(exports, bucket: last) == 3)
  }

  @Test func recorderStaysBounded() throws {
    let trace = generatedTrace(events: 200_000)
    let results = try Session.run(fileName: "big.trace", source: ByteSource(string: trace), mode: .compare(["page", "folio"]), recordsTimeline: true).1
    for r in results {
      let t = try #require(r.timeline)
      #expect(t.rows.count <= t.limits.rows)
      #expect(t.rows.count > 100)
      #expect(t.bucketCount <= t.limits.buckets)
      #expect(t.waits.count <= t.limits.intervals)
      #expect(t.dmaWindows.count <= t.limits.intervals)
      #expect(t.marks.count <= t.limits.marks)
      // Merged intervals still account for every wait.
      #expect(t.waits.map(\.count).reduce(0, +) == Int(r.stats[.waits]))
    }
    var svg = ""
    SVGTimeline().write(results, file: "big.trace", to: &svg)
    #expect(svg.utf8.count < 400_000, "SVG of \(svg.utf8.count) bytes")
    try expectWellFormedXML(svg)
    var json = ""
    PerfettoTrace().write(results, file: "big.trace", to: &json)
    #expect(json.utf8.count < 4_000_000, "Perfetto JSON of \(json.utf8.count) bytes")
    try expectPerfettoRules(json)
  }

  @Test func perfettoOfS1() throws {
    var json = ""
    PerfettoTrace(quotes: [10: "vcpu0: touch 0x1 write"]).write(try s1(), file: "S1.trace", to: &json)
    let events = try expectPerfettoRules(json)
    let processes = events.filter { $0["name"] as? String == "process_name" }.compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
    #expect(processes == ["policy page", "policy folio", "policy split", "policy refuse"])
    let threads = Set(events.filter { $0["name"] as? String == "thread_name" && $0["pid"] as? Int == 2 }.compactMap { ($0["args"] as? [String: Any])?["name"] as? String })
    #expect(threads.isSuperset(of: ["vcpu0", "qemu", "virtio", "virtio DMA", "page 0x1"]))
    // The hang: an instant on vcpu0's thread with the explanation, and a wait slice that never ends.
    let hang = try #require(events.first { $0["ph"] as? String == "i" && $0["name"] as? String == "hang" })
    #expect(hang["pid"] as? Int == 2)
    #expect(hang["tid"] as? Int == 1)
    let args = try #require(hang["args"] as? [String: Any])
    #expect(args["explanation"] as? String == FindingKind.hang.explanation)
    #expect(args["trace_line"] as? String == "vcpu0: touch 0x1 write")
    #expect(args["line"] as? Int == 10)
    let wait = try #require(events.first { $0["ph"] as? String == "X" && $0["cat"] as? String == "wait" })
    #expect((wait["args"] as? [String: Any])?["never_ends"] as? Bool == true)
    #expect((wait["dur"] as? Double ?? 0) > 0)
    // Counters per policy: folio exports 3.
    let exports = events.filter { $0["ph"] as? String == "C" && $0["name"] as? String == "exports" && $0["pid"] as? Int == 2 }
    #expect((exports.last?["args"] as? [String: Any])?["value"] as? Int == 3)
  }

  /// Parses Perfetto JSON and checks its rules: every event has ph/pid, slices
  /// have ts and dur >= 0, and complete slices on one thread never partly overlap.
  @discardableResult
  func expectPerfettoRules(_ json: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
    let top = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    let events = try #require(top["traceEvents"] as? [[String: Any]], sourceLocation: sourceLocation)
    var tracks: [String: [(Double, Double)]] = [:]
    for e in events {
      let ph = try #require(e["ph"] as? String, sourceLocation: sourceLocation)
      #expect(e["pid"] is Int, sourceLocation: sourceLocation)
      #expect(["M", "X", "i", "C"].contains(ph), "unexpected phase \(ph)", sourceLocation: sourceLocation)
      if ph == "X" {
        let ts = try #require((e["ts"] as? NSNumber)?.doubleValue, sourceLocation: sourceLocation)
        let dur = try #require((e["dur"] as? NSNumber)?.doubleValue, sourceLocation: sourceLocation)
        #expect(dur >= 0, sourceLocation: sourceLocation)
        tracks["\(e["pid"]!)/\(e["tid"]!)", default: []].append((ts, ts + dur))
      }
      if ph == "i" {
        #expect(e["s"] as? String == "t", sourceLocation: sourceLocation)
        #expect((e["args"] as? [String: Any])?["explanation"] is String, sourceLocation: sourceLocation)
      }
    }
    for (track, slices) in tracks {
      var stack: [Double] = []
      for (start, end) in slices.sorted(by: { ($0.0, -$0.1) < ($1.0, -$1.1) }) {
        while let top = stack.last, top <= start { stack.removeLast() }
        if let top = stack.last {
          #expect(end <= top, "slices on \(track) overlap without nesting at \(start)", sourceLocation: sourceLocation)
        }
        stack.append(end)
      }
    }
    return events
  }

  @Test func goldenFiles() throws {
    let results = try s1()
    var svg = ""
    SVGTimeline(quotes: [10: "vcpu0: touch 0x1 write"]).write(results, file: "S1.trace", to: &svg)
    try GoldenFile.check(svg, "S1-compare.svg")
    var json = ""
    PerfettoTrace(quotes: [10: "vcpu0: touch 0x1 write"]).write(results, file: "S1.trace", to: &json)
    try GoldenFile.check(json, "S1-compare.perfetto.json")
  }

  @Test func svgOfS1IsWellFormed() throws {
    var svg = ""
    SVGTimeline(quotes: [10: "vcpu0: touch 0x1 write"]).write(try s1(), file: "S1 <demo> & co.trace", to: &svg)
    try expectWellFormedXML(svg)
    #expect(svg.contains("policy folio"))
    #expect(svg.contains("<title>line 10: hang"))
    #expect(svg.contains("| 10: vcpu0: touch 0x1 write"))
    #expect(svg.contains("S1 &lt;demo&gt; &amp; co.trace"))
    for state in ["secure", "exported", "pinned-shared", "nonsecure"] {
      #expect(svg.contains(SVGTimeline.colour(of: state)), "no colour for \(state)")
    }
  }

  /// Parses the SVG with XMLParser where Foundation has it.
  func expectWellFormedXML(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    #if canImport(FoundationXML) || canImport(Darwin)
      let parser = XMLParser(data: Data(text.utf8))
      let ok = parser.parse()
      #expect(ok, "not well-formed XML: \(String(describing: parser.parserError)) at line \(parser.lineNumber)", sourceLocation: sourceLocation)
    #else
      #expect(text.hasPrefix("<?xml") && text.hasSuffix("</svg>\n"), sourceLocation: sourceLocation)
    #endif
  }
}
