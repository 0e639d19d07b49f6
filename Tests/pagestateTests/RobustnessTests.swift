// End-to-end tests of the inputs at the edges (issue 7, trace-format.md
// "Files", "Lexical rules" and "Limits"): standard input, files that cannot be
// read, a directory, an empty file, no trailing newline, CRLF, a UTF-8 BOM,
// control bytes and an over-long line. Each gets a defined answer: the same
// result as the plain file, or `FILE:LINE:COL: error: ...` with exit 2.

import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Writes `bytes` to a fresh temporary file `name`; returns its path.
func temporaryFile(_ bytes: [UInt8], name: String = "t.trace") throws -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pagestate-robust-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  let url = dir.appendingPathComponent(name)
  try Data(bytes).write(to: url)
  return url.path
}

/// The bytes of a fixture.
func fixtureBytes(_ path: String) throws -> [UInt8] {
  Array(try Data(contentsOf: Tool.root.appendingPathComponent(path)))
}

/// `text` with each `\n` turned into `\r\n`.
func crlf(_ bytes: [UInt8]) -> [UInt8] {
  bytes.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] }
}

let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

@Suite("robustness of inputs")
struct RobustnessTests {
  static let commands: [[String]] = [["replay", "--policy", "folio"], ["compare"], ["check"], ["explore", "--policy", "folio"]]

  /// The run with the file name replaced, so runs on different names compare
  /// equal; without explore's timing line and without the quoted trace lines
  /// (`| 65: ...`), which are read back from the file and so are missing for
  /// standard input.
  func normalized(_ run: ToolRun, _ name: String) -> String {
    let text = "exit \(run.status)\n" + run.stdout + run.stderr
    return text.replacingOccurrences(of: name, with: "FILE").split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.contains("states/s") && !$0.hasPrefix("      | ") }.joined(separator: "\n")
  }

  @Test("standard input ('-') gives what the file gives, for every command that reads a trace", arguments: commands)
  func standardInput(_ command: [String]) throws {
    let path = Tool.s01
    let text = String(decoding: try fixtureBytes(path), as: UTF8.self)
    let file = try Tool.run(command + [path])
    let stdin = try Tool.run(command + ["-"], input: text)
    #expect(file.status == stdin.status, "\(file)\n\(stdin)")
    // Standard input is `<stdin>` in reports and errors, `-` in check's lines.
    let fromStdin = normalized(stdin, "<stdin>").replacingOccurrences(of: "  - (", with: "  FILE (")
    #expect(normalized(file, path) == fromStdin, "\(file)\n\(stdin)")
  }

  @Test("an error on standard input is located in <stdin>, exit 2")
  func standardInputError() throws {
    let run = try Tool.run(["replay", "-"], input: "arch s390-pv\nmemory 0x0\nqemu: put 0x0\n")
    #expect(run.status == 2)
    #expect(run.stderr.hasPrefix("<stdin>:3:7: error: put 0x0 by qemu"), "\(run)")
  }

  @Test("a file that does not exist: the reason, exit 2", arguments: commands)
  func missing(_ command: [String]) throws {
    let run = try Tool.run(command + ["/nonexistent/x.trace"])
    #expect(run.status == 2, "\(run)")
    #expect((run.stderr + run.stdout).contains("cannot open '/nonexistent/x.trace': No such file or directory"), "\(run)")
  }

  @Test("a file whose read fails (EIO from /proc/self/mem): an error, exit 2", arguments: commands)
  func readError(_ command: [String]) throws {
    let run = try Tool.run(command + ["/proc/self/mem"])
    #expect(run.status == 2, "\(run)")
    #expect((run.stderr + run.stdout).contains("error: cannot read '/proc/self/mem'"), "\(run)")
    #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Backtrac"), "\(run)")
  }

  @Test("a file without read permission: cannot open, exit 2", .enabled(if: geteuid() != 0, "root reads any file"), arguments: commands)
  func unreadable(_ command: [String]) throws {
    let path = try temporaryFile(try fixtureBytes(Tool.s01))
    chmod(path, 0)
    let run = try Tool.run(command + [path])
    #expect(run.status == 2, "\(run)")
    #expect((run.stderr + run.stdout).contains("Permission denied"), "\(run)")
  }

  @Test("a directory where a trace is expected: an error, exit 2", arguments: [["replay"], ["compare"], ["explore"]])
  func directory(_ command: [String]) throws {
    let run = try Tool.run(command + ["Fixtures"])
    #expect(run.status == 2, "\(run)")
    #expect(run.stderr.contains("'Fixtures' is a directory, expected a trace file"), "\(run)")
  }

  @Test("check of a directory without a trace fails, unless --allow-empty (issue 16)")
  func checkDirectory() throws {
    let dir = (try temporaryFile([], name: "notes.txt") as NSString).deletingLastPathComponent
    let run = try Tool.run(["check", dir])
    #expect(run.status == 1, "\(run)")
    #expect(run.stderr.contains("no *.trace file under \(dir)"))
    let allowed = try Tool.run(["check", dir, "--allow-empty"])
    #expect(allowed.status == 0, "\(allowed)")
    #expect(allowed.lastLine == "0 passed, 0 failed")
  }

  @Test("an empty file is an empty trace: no findings, exit 0; check fails it (it checks nothing) unless --allow-empty")
  func empty() throws {
    let path = try temporaryFile([])
    let replay = try Tool.run(["replay", path])
    #expect(replay.status == 0, "\(replay)")
    #expect(replay.stdout.contains("no findings"))
    let check = try Tool.run(["check", path])
    #expect(check.status == 1, "\(check)")
    #expect(check.stdout.contains("no 'expect' line: this file checks nothing"))
    #expect(check.lastLine == "0 passed, 1 failed")
    let allowed = try Tool.run(["check", path, "--allow-empty"])
    #expect(allowed.status == 0, "\(allowed)")
    #expect(allowed.lastLine == "1 passed, 0 failed")
    let stdin = try Tool.run(["replay", "-"], input: "")
    #expect(stdin.status == 0, "\(stdin)")
  }

  @Test("no trailing newline: the last line counts, its errors at the right place")
  func noTrailingNewline() throws {
    var bytes = try fixtureBytes(Tool.s01)
    while bytes.last == 0x0A { bytes.removeLast() }
    let path = try temporaryFile(bytes)
    let check = try Tool.run(["check", path])
    #expect(check.status == 0, "\(check)")
    #expect(check.lastLine == "1 passed, 0 failed")
    let bad = try temporaryFile(Array("arch s390-pv\nmemory 0x0\nqemu: put 0x0".utf8))
    let run = try Tool.run(["replay", bad])
    #expect(run.status == 2)
    #expect(run.stderr.hasPrefix("\(bad):3:7: error: put 0x0 by qemu"), "\(run)")
  }

  @Test("CRLF line endings and a UTF-8 BOM change nothing", arguments: [Tool.s01, "Fixtures/sev/S15-share-4k-of-2m-folio.trace"])
  func crlfAndBOM(_ fixture: String) throws {
    let plain = try fixtureBytes(fixture)
    let reference = try Tool.run(["compare", "--all", fixture])
    for variant in [crlf(plain), bom + plain, bom + crlf(plain)] {
      let path = try temporaryFile(variant, name: "v.trace")
      let run = try Tool.run(["compare", "--all", path])
      #expect(normalized(run, path) == normalized(reference, fixture), "\(run)")
      let check = try Tool.run(["check", path])
      #expect(check.status == 0 && check.lastLine == "1 passed, 0 failed", "\(check)")
    }
  }

  @Test("errors in a CRLF or BOM file keep their columns")
  func crlfAndBOMColumns() throws {
    let text = Array("arch s390-pv\nmemory 0x0\nqemu: pin 0x0 longtrem\n".utf8)
    for variant in [text, crlf(text), bom + text] {
      let path = try temporaryFile(variant)
      let run = try Tool.run(["replay", path])
      #expect(run.status == 2)
      #expect(run.stderr.hasPrefix("\(path):3:15: error: "), "\(run)")
    }
  }

  @Test("a BOM after the first line, NUL and ESC bytes: errors with escapes, exit 2")
  func controlBytes() throws {
    let cases: [([UInt8], String)] = [
      (Array("arch s390-pv\n".utf8) + bom + Array("memory 0x0\n".utf8), ":2:1: error: "),
      (Array("arch s390-pv\nmemory 0x0\nqemu: get 0x0 \u{0}\n".utf8), ":3:15: error: "),
      (Array("arch s390-pv\nmemory 0x0\n\u{1B}[2J: get 0x0\n".utf8), ":3:1: error: "),
    ]
    for (bytes, at) in cases {
      let path = try temporaryFile(bytes)
      let run = try Tool.run(["replay", path])
      #expect(run.status == 2, "\(run)")
      #expect(run.stderr.hasPrefix(path + at), "\(run)")
      #expect(!run.stderr.dropLast().unicodeScalars.contains { $0.value < 0x20 || $0.value == 0xFEFF }, "\(run)")
    }
  }

  @Test("a line over 64 KiB: an error at its line, exit 2, for every command", arguments: commands)
  func longLine(_ command: [String]) throws {
    let bytes = Array("arch s390-pv\n# ".utf8) + [UInt8](repeating: 0x78, count: 70_000) + [0x0A]
    let path = try temporaryFile(bytes)
    let run = try Tool.run(command + [path])
    #expect(run.status == 2, "\(run)")
    #expect((run.stderr + run.stdout).contains(":2:65537: error: line is longer than 65536 bytes"), "\(run)")
  }

  @Test("the page limit: 2^26 + 1 declared pages is an error before any allocation")
  func pageLimit() throws {
    let path = try temporaryFile(Array("arch s390-pv\nmemory 0x0+0x2000000\nmemory 0x2000000+0x2000001\n".utf8))
    let run = try Tool.run(["replay", path])
    #expect(run.status == 2, "\(run)")
    #expect(run.stderr.hasPrefix("\(path):3:"), "\(run)")
  }
}
