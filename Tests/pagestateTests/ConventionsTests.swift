// The command-line conventions of issue 16: --version, each command's
// --help and `help CMD`, --opt=value, options that do not apply, write
// errors, and generate's --pages.

import Foundation
import Testing

@Suite struct ConventionsTests {
  @Test func version() throws {
    let r = try Tool.run(["--version"])
    #expect(r.status == 0)
    #expect(r.stdout.hasPrefix("pagestate 0."))
  }

  @Test("CMD --help and help CMD print that command's usage, exit 0", arguments: ["demo", "replay", "compare", "check", "explain", "explore", "generate", "import"])
  func help(_ command: String) throws {
    let a = try Tool.run([command, "--help"])
    let b = try Tool.run(["help", command])
    #expect(a.status == 0, "\(a)")
    #expect(b.status == 0, "\(b)")
    #expect(a.stdout.hasPrefix("usage: pagestate \(command == "demo" ? "[demo]" : command)"), "\(a.stdout)")
    #expect(a.stdout == b.stdout)
  }

  @Test("--opt=value is --opt value")
  func equalsForm() throws {
    let a = try Tool.run(["replay", Tool.s01, "--policy=folio", "--format=json"])
    let b = try Tool.run(["replay", Tool.s01, "--policy", "folio", "--format", "json"])
    #expect(a.status == 1)
    #expect(a.stdout == b.stdout)
    let g = try Tool.run(["generate", "virtio", "--events=3", "--pages=8"])
    #expect(g.status == 0)
    #expect(g.stdout.contains("--pages 8 --events 3"))
  }

  @Test("an option that does not apply to the command is an error, exit 2", arguments: [
    ["replay", Tool.s01, "--policies", "page,folio"], ["compare", Tool.s01, "--policy", "page"], ["check", "Fixtures", "--policy", "page"],
    ["check", "Fixtures", "--timeline", "/tmp/x.svg"], ["check", "Fixtures", "--format", "json"], ["explain", "hang", "--format", "json"],
    ["explore", Tool.s01, "--quiet"], ["explore", Tool.s01, "--format", "json"], ["explore", Tool.s01, "--timeline", "/tmp/x.svg"],
    ["demo", "--policy", "page"],
  ])
  func notApplicable(_ arguments: [String]) throws {
    let r = try Tool.run(arguments)
    #expect(r.status == 2, "\(r)")
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("pagestate: "))
  }

  @Test("a write error on standard output, or an unwritable --timeline, is exit 2")
  func writeErrors() throws {
    let process = Process()
    process.executableURL = Tool.binary
    process.arguments = ["replay", Tool.s01]
    process.currentDirectoryURL = Tool.root
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
    let errPipe = Pipe()
    process.standardError = errPipe
    try process.run()
    process.waitUntilExit()
    let message = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 2)
    #expect(message.contains("cannot write standard output"))
    let timeline = try Tool.run(["replay", Tool.s01, "--timeline", "/nonexistent/dir/t.svg"])
    #expect(timeline.status == 2)
    #expect(timeline.stderr.contains("cannot write /nonexistent/dir/t.svg"))
    #expect(timeline.stdout.isEmpty)  // checked before the replay
  }

  @Test("generate takes any --pages (rounded to whole folios, with a note), including its documented defaults", arguments: [
    ("mixed", "65536", "65532"), ("mixed", "1048576", "1048572"), ("virtio", "7", "4"), ("dio", "1", "4"),
  ])
  func generatePages(_ workload: String, _ asked: String, _ got: String) throws {
    let r = try Tool.run(["generate", workload, "--pages", asked, "--events", "5"])
    #expect(r.status == 0, "\(r)")
    #expect(r.stdout.contains("--pages \(got) "))
    #expect(r.stderr.contains("--pages \(asked) rounded to \(got)"))
    let replay = try Tool.run(["replay", "-", "--quiet"], input: r.stdout)
    #expect(replay.status != 2)
  }

  @Test("--max-findings keeps more (or all) findings; JSON says how many were dropped")
  func maxFindings() throws {
    // `mixed --with foll-get` under `page` raises hundreds of io-on-secure.
    let trace = try Tool.run(["generate", "mixed", "--pages", "4092", "--events", "200000", "--with", "foll-get"]).stdout
    let capped = try Tool.run(["replay", "-", "--policy", "page", "--format", "json", "--max-findings", "10"], input: trace)
    let all = try Tool.run(["replay", "-", "--policy", "page", "--format", "json", "--max-findings", "0"], input: trace)
    #expect(capped.stdout.contains("\"findings_dropped\":"))
    #expect(!capped.stdout.contains("\"findings_dropped\":0,"))
    #expect(all.stdout.contains("\"findings_dropped\":0,"))
  }
}

@Suite struct FindingCapTests {
  @Test("past --max-findings, text, SVG and Perfetto say where the kept findings stop")
  func capIsSaid() throws {
    let trace = try Tool.run(["generate", "mixed", "--pages", "4092", "--events", "100000", "--with", "foll-get"]).stdout
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cap-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let svg = dir.appendingPathComponent("t.svg").path
    let json = dir.appendingPathComponent("t.json").path
    let r = try Tool.run(["replay", "-", "--policy", "page", "--max-findings", "5", "--timeline", svg, "--perfetto", json], input: trace)
    #expect(r.status == 1)
    #expect(r.stdout.contains("more counted but not kept: the replay keeps the first 5"))
    #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("marks stop at the dashed line"))
    #expect(try String(contentsOfFile: json, encoding: .utf8).contains("findings cap reached"))
    let all = try Tool.run(["replay", "-", "--policy", "page", "--max-findings", "0"], input: trace)
    #expect(!all.stdout.contains("more counted but not kept"))
  }
}

@Suite struct ExploreOutputTests {
  static let race = "Fixtures/explore/S04-wrong-order-race.trace"

  @Test("a CRLF scenario gives the LF scenario's counterexample, which replays to its finding")
  func crlf() throws {
    let lf = try String(contentsOf: Tool.root.appendingPathComponent(ExploreOutputTests.race), encoding: .utf8)
    let crlf = lf.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    let a = try Tool.run(["explore", "-"], input: lf)
    let b = try Tool.run(["explore", "-"], input: crlf)
    #expect(a.status == 1)
    #expect(a.stdout == b.stdout)
    let cex = String(a.stdout[a.stdout.range(of: "pagestate 1\n")!.lowerBound...])
    #expect(cex.contains("arch s390-pv\nmemory "))
    #expect(cex.components(separatedBy: "\npolicy ").count == 2)
    let check = try Tool.run(["check", "-"], input: cex)
    #expect(check.status == 0, "\(check)")
  }

  @Test("each counterexample event carries its source line and the state after it; the timing is on standard error")
  func trail() throws {
    let r = try Tool.run(["explore", ExploreOutputTests.race])
    #expect(r.stdout.contains("qemu:  get 0x0  # line 13; then 0x0 secure, folio 0x0 extra 1"))
    #expect(!r.stdout.contains("states/s"))
    #expect(r.stderr.contains("states/s"))
    let again = try Tool.run(["explore", ExploreOutputTests.race])
    #expect(again.stdout == r.stdout)
  }

  @Test("a search that cannot fit in --memory is cut to what fits, said, and exits 3 (not killed)")
  func memoryBound() throws {
    // 16384 pages, all touched: 196 KiB a state; 8 MiB holds 41 states, the search needs more.
    var t = "arch s390-pv\nmemory 0x0+16384 order=2\nactor g guest\nqemu: access 0x0+16384 read\n"
    for i in 0..<6 { t += "g: touch 0x\(String(i * 4, radix: 16)) write\nh: pin 0x\(String(i * 4, radix: 16))\n" }
    // The copying search (a whole replay a state) is cut before it starts.
    let r = try Tool.run(["explore", "-", "--policy", "page", "--memory", "8M", "--copying"], input: t)
    #expect(r.status == 3, "\(r)")
    #expect(r.stderr.contains("lowered to 41"))
    #expect(r.stdout.contains("INCOMPLETE, declare fewer pages"))
    // The compact one (issue 14: 16384 words a state) stops when its queue
    // and visited set reach the limit, and says how far it got.
    let c = try Tool.run(["explore", "-", "--policy", "page", "--memory", "8M"], input: t)
    #expect(c.status == 3, "\(c)")
    #expect(c.stdout.contains("stopped at the memory limit (--memory)"))
    #expect(c.stdout.contains("INCOMPLETE, raise --memory"))
    #expect(c.stdout.contains("covered: every interleaving of up to"))
  }

  @Test("a scenario that declares 2^20 pages and uses a few folios costs those folios a state, and finds the same")
  func untouchedMemory() throws {
    let t = """
      arch s390-pv
      memory 0x0+1048576 order=2
      actor g guest
      actor d device
      g: touch 0x0 write
      g: touch 0x8 write
      h: pin 0x0
      d: dma 0x8 read
      h: unpin 0x0

      """
    let big = try Tool.run(["explore", "-"], input: t)
    let small = try Tool.run(["explore", "-"], input: t.replacingOccurrences(of: "0x0+1048576", with: "0x0+512"))
    #expect(big.status == 1, "\(big)")
    #expect(!big.stderr.contains("lowered"))
    // The same search and counterexample (but for the memory line it quotes).
    #expect(big.stdout.replacingOccurrences(of: "0x0+1048576", with: "0x0+512") == small.stdout)
  }

  @Test("a search cut short by --max-states exits 3, not 0")
  func incomplete() throws {
    let r = try Tool.run(["explore", "Fixtures/s390/S01-virtio-ring-large-folio.trace", "--policy", "page", "--max-states", "2"])
    #expect(r.status == 3, "\(r)")
    #expect(r.stdout.contains("INCOMPLETE"))
  }
}
