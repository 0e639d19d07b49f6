// `pagestate import` as a user runs it: the built binary on the real
// captures of Fixtures/real, its output piped into the other commands.

import Foundation
import Testing

@Suite struct ImportEndToEndTests {
  static let vring = "Fixtures/real/6.12.95+deb12-amd64/vring.txt"

  @Test("import | compare -: the real virtio-ring capture hangs under folio only")
  func importIntoCompare() throws {
    let imported = try Tool.run(["import", ImportEndToEndTests.vring, "--guest", "anon"])
    #expect(imported.status == 0, "\(imported)")
    #expect(imported.stdout.hasPrefix("pagestate 1\n"))
    #expect(imported.stderr.contains("pagestate import: \(ImportEndToEndTests.vring): ftrace"))
    #expect(imported.stderr.contains("derived guest events"))
    let compared = try Tool.run(["compare", "-"], input: imported.stdout)
    #expect(compared.status == 1, "\(compared)")
    #expect(compared.stdout.contains("folio: first hang:"))
    #expect(compared.stdout.contains("page: clean"))
    #expect(compared.stdout.contains("pin 0x5600 longterm by qemu-vring-289"))
    // The imported pin names the kernel's own input line.
    #expect(imported.stdout.contains("qemu-vring-289: pin 0x5600+4 longterm write  # from 416 try_grab (FOLL_PIN|FOLL_LONGTERM)"))
  }

  @Test("every format of one workload imports; --opt=value is --opt value")
  func formats() throws {
    for (file, format) in [
      ("dio.txt", "tracefs text"), ("dio.trace-cmd-R.txt", "trace-cmd report"), ("dio.perf.txt", "perf script"), ("dio.bpftrace.txt", "bpftrace"),
    ] {
      let r = try Tool.run(["import", "Fixtures/real/6.1.0-57-amd64/\(file)", "--kernel=6.1", "--quiet"])
      #expect(r.status == 0, "\(r)")
      #expect(r.stderr.isEmpty)
      #expect(r.stdout.contains("(\(format)"))
      let replayed = try Tool.run(["replay", "-", "--quiet"], input: r.stdout)
      #expect(replayed.status == 0, "\(file): \(replayed)")
    }
  }

  @Test("--strict: the first line not understood is FILE:LINE:COLUMN, exit 2; without it, counted")
  func strict() throws {
    let input = """
          mmwork-327     [001] ...1.    20.997877: tracing_mark_write: MARK begin
          mmwork-327     [001] ...1.    20.997878: sched_switch: prev_comm=mmwork prev_pid=327
      this line is no event at all

      """
    let r = try Tool.run(["import", "-", "--strict"], input: input)
    #expect(r.status == 2)
    #expect(r.stderr.hasPrefix("<stdin>:2:46: error: unknown event 'sched_switch'"), "\(r.stderr)")
    let lax = try Tool.run(["import", "-"], input: input)
    #expect(lax.status == 0)
    #expect(lax.stderr.contains("1 events of 1 unknown kinds skipped: sched_switch 1 (line 2)"))
    #expect(lax.stderr.contains("1 lines not understood (first at line 3)"))
  }

  @Test("bad options and files: a message and exit 2", arguments: [
    ["import"], ["import", "x.txt", "--from", "systemtap"], ["import", "x.txt", "--guest", "0x20..0x10"], ["import", "x.txt", "--kernel", "new"],
    ["import", "Fixtures/real/6.1.0-57-amd64/dio.txt", "--guest", "anon", "--arch", "sev-snp"], ["import", "/nonexistent/trace.txt"],
    ["import", "x.txt", "--bogus"],
  ])
  func badInput(_ arguments: [String]) throws {
    let r = try Tool.run(arguments)
    #expect(r.status == 2, "\(r)")
    #expect(r.stdout.isEmpty)
    #expect(!r.stderr.isEmpty)
  }

  @Test("import --help and help import")
  func help() throws {
    let r = try Tool.run(["import", "--help"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("usage: pagestate import FILE|-"))
    #expect(try Tool.run(["--help"]).stdout.contains("pagestate import"))
  }

  @Test("a streamed import from standard input (a large repeated trace through a pipe)")
  func standardInput() throws {
    let body = try String(contentsOf: Tool.root.appendingPathComponent("Fixtures/real/6.12.95+deb12-amd64/mixed.txt"), encoding: .utf8)
    let lines = body.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n") + "\n"
    let input = String(repeating: lines, count: 40)
    let r = try Tool.run(["import", "-"], input: input)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("<stdin>: ftrace"))
    #expect(r.stderr.contains("\(lines.split(separator: "\n").count * 40) lines"))
    let replayed = try Tool.run(["replay", "-", "--quiet"], input: r.stdout)
    #expect(replayed.status == 0, "\(replayed)")
  }
}
