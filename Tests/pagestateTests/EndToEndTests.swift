// End-to-end tests of the `pagestate` executable: they run the built binary
// as a child process and check its exit status, standard output and standard
// error, the way a user or a CI script sees them.
//
// The binary is found beside the test runner (both live in the same build
// directory, e.g. .build/debug); the repository root is found from this file.

import Foundation
import Testing

// MARK: - Running the tool

/// What one run of the tool produced.
struct ToolRun: CustomStringConvertible {
  var status: Int32
  var stdout: String
  var stderr: String

  var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }

  /// The last non-empty line of standard output.
  var lastLine: String {
    stdout.split(separator: "\n", omittingEmptySubsequences: true).last.map(String.init) ?? ""
  }
}

enum Tool {
  /// The repository root: this file is Tests/pagestateTests/EndToEndTests.swift.
  static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The `pagestate` executable in the test runner's build directory.
  static let binary: URL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("pagestate")

  static let s01 = "Fixtures/s390/S01-virtio-ring-large-folio.trace"

  /// Runs `pagestate ARGS` in the repository root, with `input` on standard
  /// input (else /dev/null). Kills the tool if it runs longer than `timeout`.
  static func run(_ arguments: [String], input: String? = nil, timeout: TimeInterval = 60) throws -> ToolRun {
    let fm = FileManager.default
    let tmp = fm.temporaryDirectory.appendingPathComponent("pagestate-e2e-\(UUID().uuidString)")
    try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: tmp) }
    let outURL = tmp.appendingPathComponent("stdout")
    let errURL = tmp.appendingPathComponent("stderr")
    fm.createFile(atPath: outURL.path, contents: nil)
    fm.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = root
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    process.environment = environment
    process.standardOutput = outHandle
    process.standardError = errHandle
    let inputPipe: Pipe?
    if input != nil {
      let pipe = Pipe()
      process.standardInput = pipe
      inputPipe = pipe
    } else {
      process.standardInput = FileHandle.nullDevice
      inputPipe = nil
    }
    try process.run()
    if let inputPipe, let input {
      inputPipe.fileHandleForWriting.write(Data(input.utf8))
      try inputPipe.fileHandleForWriting.close()
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline {
        process.terminate()
        process.waitUntilExit()
        Issue.record("pagestate \(arguments.joined(separator: " ")) ran longer than \(timeout) s and was killed")
        break
      }
      usleep(2_000)
    }
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
    return ToolRun(status: process.terminationStatus, stdout: stdout, stderr: stderr)
  }

  /// Writes `text` to a fresh temporary file named `name`; returns its path.
  static func temporaryTrace(_ text: String, name: String = "t.trace") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pagestate-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
  }
}

// MARK: - Error fixtures

/// The files of Fixtures/errors (relative to the repository root), found at run time.
func errorFixtures() -> [String] {
  let dir = Tool.root.appendingPathComponent("Fixtures/errors")
  let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
  return names.filter { $0.hasSuffix(".trace.bad") }.sorted().map { "Fixtures/errors/" + $0 }
}

/// The `# error: LINE:COLUMN: MESSAGE` comment on the first line of a fixture.
struct ExpectedError {
  var line: Int
  var column: Int
  var message: String

  init?(firstLineOf path: String) {
    guard let text = try? String(contentsOf: Tool.root.appendingPathComponent(path), encoding: .utf8),
      let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first,
      first.hasPrefix("# error: ")
    else { return nil }
    let rest = first.dropFirst("# error: ".count)
    let parts = rest.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) else { return nil }
    self.line = line
    self.column = column
    self.message = String(parts[2].drop { $0 == " " })
  }
}

@Suite("pagestate end to end")
struct EndToEndTests {
  @Test("the binary exists beside the test runner")
  func binaryExists() {
    #expect(FileManager.default.isExecutableFile(atPath: Tool.binary.path), "no executable at \(Tool.binary.path)")
  }

  // (a)
  @Test("check Fixtures: every expectation holds")
  func checkFixtures() throws {
    let r = try Tool.run(["check", "Fixtures"])
    #expect(r.status == 0, "\(r)")
    let last = r.lastLine
    let match = last.wholeMatch(of: /(\d+) passed, 0 failed/)
    #expect(match != nil, "last line: \(last)")
    if let match { #expect(Int(match.1)! >= 11, "\(last)") }
    #expect(!r.stdout.contains(".trace.bad"), "check must not read the error fixtures")
  }

  @Test("Fixtures/errors holds the error fixtures")
  func errorFixturesExist() {
    let files = errorFixtures()
    #expect(files.count >= 25, "found \(files.count) files in Fixtures/errors")
    for file in files {
      #expect(ExpectedError(firstLineOf: file) != nil, "\(file): first line is not '# error: LINE:COLUMN: MESSAGE'")
    }
  }

  // (b)
  @Test("a malformed trace gives exit 2 and FILE:LINE:COL: error: MESSAGE", arguments: errorFixtures())
  func errorFixture(_ file: String) throws {
    let expected = try #require(ExpectedError(firstLineOf: file), "\(file): first line is not '# error: LINE:COLUMN: MESSAGE'")
    #expect(expected.line >= 2)
    let r = try Tool.run(["replay", file])
    #expect(r.status == 2, "\(r)")
    #expect(r.stderr.hasPrefix("\(file):\(expected.line):\(expected.column): error: "), "\(r.stderr)")
    #expect(r.stderr.contains(expected.message), "expected '\(expected.message)' in: \(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1, "one line of error: \(r.stderr)")
    #expect(r.stdout.isEmpty, "\(r.stdout)")
    #expect(!r.stderr.contains("Fatal error"), "\(r.stderr)")
  }

  @Test("an empty trace replays clean")
  func emptyTrace() throws {
    let path = try Tool.temporaryTrace("")
    let r = try Tool.run(["replay", path])
    #expect(r.status == 0, "\(r)")
    #expect(r.stderr.isEmpty, "\(r)")
  }

  // (c)
  @Test("the demo compares the four presets: folio hangs, page is clean")
  func demo() throws {
    for args in [[], ["demo"]] {
      let r = try Tool.run(args)
      #expect(r.status == 0, "\(r)")
      let table = ComparisonTable(r.stdout)
      #expect(table.policies == ["page", "folio", "split", "refuse"], "\(r.stdout)")
      #expect(table.rows["hang"] != nil, "no hang row: \(r.stdout)")
      #expect(table.rows["collateral-exports"] != nil, "no collateral-exports row: \(r.stdout)")
      #expect(table.value("verdict", "folio") == "FAIL", "\(r.stdout)")
      #expect(table.value("verdict", "page") == "ok", "\(r.stdout)")
      #expect(table.value("hang", "folio") == "1", "\(r.stdout)")
      #expect(table.value("hang", "page") == "0", "\(r.stdout)")
      #expect(table.value("collateral-exports", "folio") == "3", "\(r.stdout)")
      #expect(table.value("collateral-exports", "page") == "0", "\(r.stdout)")
    }
  }

  // (d)
  @Test("replay S01: folio hangs (exit 1), page is clean (exit 0)")
  func replayS01() throws {
    let folio = try Tool.run(["replay", Tool.s01, "--policy", "folio"])
    #expect(folio.status == 1, "\(folio)")
    #expect(folio.stdout.contains("hang"), "\(folio)")
    let page = try Tool.run(["replay", Tool.s01, "--policy", "page"])
    #expect(page.status == 0, "\(page)")
    #expect(!page.stdout.contains("hang "), "\(page)")
  }

  // (e)
  @Test("replay --format json is JSON with schema, command, file, results", arguments: ["folio", "page"])
  func replayJSON(_ policy: String) throws {
    let r = try Tool.run(["replay", Tool.s01, "--policy", policy, "--format", "json"])
    #expect(r.status == (policy == "folio" ? 1 : 0), "\(r)")
    let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    let top = try #require(object as? [String: Any], "not a JSON object: \(r.stdout)")
    for key in ["schema", "command", "file", "results"] {
      #expect(top[key] != nil, "no key '\(key)' in \(r.stdout)")
    }
    #expect(top["command"] as? String == "replay")
    #expect(top["file"] as? String == Tool.s01)
    let results = try #require(top["results"] as? [[String: Any]])
    #expect(results.count == 1)
    #expect(results.first?["policy"] as? String == policy)
    // The keys come in a stable, documented order.
    let positions = ["\"schema\"", "\"command\"", "\"file\"", "\"results\""].map { r.stdout.range(of: $0)?.lowerBound }
    #expect(positions.allSatisfy { $0 != nil })
    if positions.allSatisfy({ $0 != nil }) {
      #expect(positions.map { $0! } == positions.map { $0! }.sorted(), "keys out of order: \(r.stdout.prefix(200))")
    }
  }

  // (f)
  @Test("compare S01 exits 1 and shows every preset")
  func compareS01() throws {
    let r = try Tool.run(["compare", Tool.s01])
    #expect(r.status == 1, "\(r)")
    let table = ComparisonTable(r.stdout)
    #expect(table.policies == ["page", "folio", "split", "refuse"], "\(r.stdout)")
    #expect(table.value("verdict", "folio") == "FAIL", "\(r.stdout)")

    let json = try Tool.run(["compare", Tool.s01, "--policies", "page,split", "--format", "json"])
    #expect(json.status == 0, "\(json)")
    let top = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(top["command"] as? String == "compare")
    #expect((top["results"] as? [Any])?.count == 2)
  }

  @Test("compare --threads 1 and --threads 3 print what the default prints", arguments: ["1", "3"])
  func threads(_ n: String) throws {
    let trace = try Tool.temporaryTrace(
      (try Tool.run(["generate", "mixed", "--pages", "4092", "--events", "40000", "--seed", "5"])).stdout, name: "threads-\(n).trace")
    let base = try Tool.run(["compare", trace, "--format", "json"])
    let threaded = try Tool.run(["compare", trace, "--format", "json", "--threads", n])
    #expect(base.status == threaded.status, "\(threaded)")
    #expect(!base.stdout.isEmpty)
    #expect(base.stdout == threaded.stdout)
    let replay = try Tool.run(["replay", trace, "--threads", n])
    #expect(replay.stdout == (try Tool.run(["replay", trace])).stdout)
  }

  // (g)
  @Test("check reports a false expectation: FAIL, 0 passed, 1 failed, exit 1")
  func checkFalseExpectation() throws {
    let path = try Tool.temporaryTrace(
      """
      pagestate 1
      arch s390-pv
      memory 0x0
      vcpu0: touch 0x0 write
      expect hang actor=vcpu0 policy=page

      """, name: "false.trace")
    let r = try Tool.run(["check", path])
    #expect(r.status == 1, "\(r)")
    #expect(r.stdout.contains("FAIL"), "\(r)")
    #expect(r.lastLine == "0 passed, 1 failed", "\(r)")

    // The same file with a true expectation passes.
    let good = try Tool.temporaryTrace(
      """
      arch s390-pv
      memory 0x0
      vcpu0: touch 0x0 write
      expect clean policy=page
      expect stat imports=1 policy=page

      """, name: "true.trace")
    let ok = try Tool.run(["check", good])
    #expect(ok.status == 0, "\(ok)")
    #expect(ok.lastLine == "1 passed, 0 failed", "\(ok)")

    // Bad input counts as failed and makes the exit status 2.
    let both = try Tool.run(["check", good, "Fixtures/errors/arch-twice.trace.bad"])
    #expect(both.status == 2, "\(both)")
    #expect(both.stdout.contains("ERROR"), "\(both)")
    #expect(both.lastLine == "1 passed, 1 failed", "\(both)")
  }

  // (h)
  @Test(
    "usage errors exit 2 with a message",
    arguments: [
      (["frobnicate"], "unknown command 'frobnicate'"),
      (["replay", Tool.s01, "--policy", "foilo"], "unknown policy 'foilo'"),
      (["compare", Tool.s01, "--policies", "page,bogus"], "unknown policy 'bogus'"),
      (["replay", Tool.s01, "--set", "wiat=forever"], "unknown knob 'wiat'"),
      (["replay", Tool.s01, "--set", "drain=maybe"], "knob 'drain' takes on, off"),
      (["replay", Tool.s01, "--set", "wait"], "--set takes knob=value"),
      (["replay", Tool.s01, "--format", "xml"], "--format takes text, json or sarif"),
      (["replay", Tool.s01, "--policy"], "--policy needs a value"),
      (["replay", Tool.s01, "--bogus"], "unknown option '--bogus'"),
      (["replay"], "replay takes one FILE"),
      (["replay", Tool.s01, Tool.s01], "replay takes one FILE"),
      (["check"], "check takes at least one FILE_OR_DIR"),
      (["compare", Tool.s01, "--threads", "0"], "--threads takes a number of threads from 1 to 1024, found '0'"),
      (["replay", Tool.s01, "--threads", "two"], "--threads takes a number of threads from 1 to 1024, found 'two'"),
    ])
  func usageError(_ arguments: [String], _ message: String) throws {
    let r = try Tool.run(arguments)
    #expect(r.status == 2, "\(r)")
    #expect(r.stderr.contains(message), "\(r)")
    #expect(r.stdout.isEmpty, "\(r)")
  }

  // (i)
  @Test("explain hang exits 0; explain of an unknown kind exits 2")
  func explain() throws {
    let hang = try Tool.run(["explain", "hang"])
    #expect(hang.status == 0, "\(hang)")
    #expect(!hang.stdout.isEmpty)
    let nope = try Tool.run(["explain", "nope"])
    #expect(nope.status == 2, "\(nope)")
    #expect(nope.stderr.contains("unknown finding kind 'nope'"), "\(nope)")
    let typo = try Tool.run(["explain", "hnag"])
    #expect(typo.status == 2, "\(typo)")
    #expect(typo.stderr.contains("did you mean 'hang'"), "\(typo)")
  }

  // (j)
  @Test("replay - reads standard input")
  func standardInput() throws {
    let trace = try String(contentsOf: Tool.root.appendingPathComponent(Tool.s01), encoding: .utf8)
    let folio = try Tool.run(["replay", "-", "--policy", "folio"], input: trace)
    #expect(folio.status == 1, "\(folio)")
    #expect(folio.stdout.contains("hang"), "\(folio)")
    let page = try Tool.run(["replay", "-", "--policy", "page"], input: trace)
    #expect(page.status == 0, "\(page)")

    let bad = try Tool.run(["replay", "-"], input: "arch s390-pv\nmemory 0x0\nvcpu0: touch 0x10\n")
    #expect(bad.status == 2, "\(bad)")
    #expect(bad.stderr.hasPrefix("<stdin>:3:14: error: page 0x10 is not declared"), "\(bad)")

    let json = try Tool.run(["replay", "-", "--format", "json"], input: trace)
    let top = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(top["file"] as? String == "<stdin>")
  }

  // (k)
  @Test("replay of a directory or a missing file exits 2 with a message")
  func badFileArguments() throws {
    let dir = try Tool.run(["replay", "Fixtures"])
    #expect(dir.status == 2, "\(dir)")
    #expect(dir.stderr.contains("'Fixtures' is a directory"), "\(dir)")
    let missing = try Tool.run(["replay", "no/such/file.trace"])
    #expect(missing.status == 2, "\(missing)")
    #expect(missing.stderr.contains("cannot open 'no/such/file.trace'"), "\(missing)")
    #expect(missing.stderr.contains("No such file or directory"), "\(missing)")
    let compare = try Tool.run(["compare", "no/such/file.trace"])
    #expect(compare.status == 2, "\(compare)")
    let check = try Tool.run(["check", "no/such/file.trace"])
    #expect(check.status == 2, "\(check)")
    #expect(check.stdout.contains("cannot open"), "\(check)")
    #expect(check.lastLine == "0 passed, 1 failed", "\(check)")
  }
}

// MARK: - Reading the comparison table

/// The side-by-side table of `compare` and the demo: a header line naming the
/// policies, then one row per verdict, finding kind or statistic (a leading
/// `*` marks rows where the policies differ).
struct ComparisonTable {
  var policies: [String] = []
  var rows: [String: [String]] = [:]

  init(_ text: String) {
    let presets: Set<String> = ["page", "folio", "split", "refuse"]
    var inTable = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      if !inTable {
        if !words.isEmpty && words.allSatisfy({ presets.contains($0) }) {
          policies = words
          inTable = true
        }
        continue
      }
      if words.first == "*" { words.removeFirst() }
      if words.isEmpty {
        if !rows.isEmpty { break }
        continue
      }
      guard words.count == policies.count + 1 else { break }
      rows[words[0]] = Array(words.dropFirst())
    }
  }

  func value(_ row: String, _ policy: String) -> String? {
    guard let values = rows[row], let i = policies.firstIndex(of: policy) else { return nil }
    return values[i]
  }
}
