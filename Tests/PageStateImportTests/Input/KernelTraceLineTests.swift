import Testing

@testable import PageStateImport

/// The line parsers on real lines of each format (Fixtures/real).
@Suite struct KernelTraceLineTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var format: KernelTraceFormat
    var line: String
    var comm: String
    var pid: Int64
    var cpu: Int64
    var time: UInt64
    var event: String
    var interrupt: Bool = false
    var testDescription: String { "\(format.name): \(comm) \(event)" }
  }

  static let cases: [Case] = [
    // tracefs `trace`, flags column, a kprobe site by name.
    .init(
      format: .ftrace, line: "          mmwork-327     [001] ...1.    20.997877: grab_folio: (try_grab_folio+0x4/0x90) folio=0xffd40000000d9400 head=0 order=8 ref=2 refs=1 flags=0x50003",
      comm: "mmwork", pid: 327, cpu: 1, time: 20_997_877_000, event: "grab_folio"),
    // A comm with a space and a slash (a QEMU vCPU thread).
    .init(
      format: .ftrace, line: "       CPU 0/KVM-305     [001] ...1.    15.922840: grab_folio: (try_grab_folio+0x4/0x90) folio=0xffd40000000da0c0 head=0 order=8 ref=2 refs=1 flags=0x50003",
      comm: "CPU 0/KVM", pid: 305, cpu: 1, time: 15_922_840_000, event: "grab_folio"),
    // record-tgid: a (TGID) column.
    .init(
      format: .ftrace, line: "          mmwork-333     (    333) [000] ...1.    23.695577: grab_folio: (try_grab_folio+0x4/0x90) folio=0xffd40000000af5c0 head=0 order=56 ref=2 refs=1 flags=0x50003",
      comm: "mmwork", pid: 333, cpu: 0, time: 23_695_577_000, event: "grab_folio"),
    // irq-info off: no flags column.
    .init(
      format: .ftrace, line: "          mmwork-341     [001]     25.579938: grab_folio: (try_grab_folio+0x4/0x90) folio=0xffd4000001f55380 head=0 order=8 ref=2 refs=1 flags=0x50003",
      comm: "mmwork", pid: 341, cpu: 1, time: 25_579_938_000, event: "grab_folio"),
    // Hard interrupt context (the idle task running a bio completion).
    .init(
      format: .ftrace, line: "          <idle>-0       [000] d.h2.     6.326026: end_wb: (folio_end_writeback+0x0/0x80) folio=0xffd400000007e240 pflags=0xfffffc000a032 index=1993 ino=266338304 ref=3",
      comm: "<idle>", pid: 0, cpu: 0, time: 6_326_026_000, event: "end_wb", interrupt: true),
    // trace-cmd report: padded event names, sites as addresses.
    .init(
      format: .traceCmd, line: "          mmwork-383   [001]    32.241940: grab_folio:           (ffffffff8137bde4) folio=0xffd400000023fe80 head=0 order=0 ref=2 refs=1 flags=0x50003",
      comm: "mmwork", pid: 383, cpu: 1, time: 32_241_940_000, event: "grab_folio"),
    // trace-cmd report -R.
    .init(
      format: .traceCmd, line: "          mmwork-383   [001]    32.241940: grab_folio:            __probe_ip=ffffffff8137bde4 folio=0xffd400000023fe80 head=0 order=0 ref=2 refs=1 flags=0x50003",
      comm: "mmwork", pid: 383, cpu: 1, time: 32_241_940_000, event: "grab_folio"),
    // perf script: GROUP:EVENT.
    .init(
      format: .perf, line: "       perf-exec   428 [000]    48.300417:                            pst:grab_folio: (ffffffff8137bde4) folio=0xffd4000000297a00 head=0 order=0 ref=2 refs=1 flags=0x50003",
      comm: "perf-exec", pid: 428, cpu: 0, time: 48_300_417_000, event: "grab_folio"),
    // The bpftrace format of docs/import.md.
    .init(
      format: .bpftrace, line: "bt 69634138939 1 473 grab_folio: folio=0xffd40000000e9540 refs=1 flags=0x50003 comm=mmwork",
      comm: "mmwork", pid: 473, cpu: 1, time: 69_634_138_939, event: "grab_folio"),
  ]

  @Test(arguments: cases)
  func parsesTheCommonPart(_ c: Case) throws {
    var bytes = Array(c.line.utf8)
    let parsed: KernelTraceLine? = bytes.withUnsafeMutableBufferPointer { m in
      let p = UnsafeBufferPointer(m)
      var column = 0
      switch c.format {
      case .ftrace, .traceCmd: return KernelTraceLine.parseTaskPid(p, column: &column)
      case .perf: return KernelTraceLine.parsePerf(p, column: &column)
      case .bpftrace: return KernelTraceLine.parseBpftrace(p, column: &column)
      }
    }
    let line = try #require(parsed)
    func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
    #expect(text(line.comm) == c.comm)
    #expect(line.pid == c.pid)
    #expect(line.cpu == c.cpu)
    #expect(line.time == c.time)
    #expect(text(line.event) == c.event)
    #expect(line.inInterrupt == c.interrupt)
    // The fields are found in every format.
    let fields = EventFields()
    bytes.withUnsafeMutableBufferPointer { m in
      let p = UnsafeBufferPointer(m)
      fields.scan(p, line.body)
      if c.event == "end_wb" {
        #expect(fields.number(p, "ref") == 3)
      } else {
        #expect(fields.number(p, "flags") == 0x50003)
      }
    }
  }

  @Test("the format is detected from the first event line", arguments: cases)
  func detectsTheFormat(_ c: Case) throws {
    // trace-cmd is told apart by its header line (`cpus=2`) or its address sites.
    let text = (c.format == .traceCmd && c.line.contains("__probe_ip") ? "cpus=2\n" : "") + c.line + "\n"
    let imported = try importText(text)
    #expect(imported.summary.format == c.format)
  }

  @Test("a line of no format is counted, and an error under --strict")
  func unparsedLines() throws {
    let text = "this is not a trace line\n          mmwork-327     [001] ...1.    20.997877: tracing_mark_write: hello\n"
    let imported = try importText(text)
    #expect(imported.summary.unparsed == 1)
    #expect(imported.summary.unparsedLines == [1])
    let error = try #require(importError(text) { $0.strict = true })
    #expect(error.location.line == 1)
    #expect(error.location.column == 1)
  }
}
