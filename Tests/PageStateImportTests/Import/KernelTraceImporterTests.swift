import PageStateTrace
import Testing

@testable import PageStateImport

/// A tracefs line: `COMM-PID [CPU] FLAGS SECONDS: EVENT: BODY`.
func ft(_ task: String, irq: Bool, _ seconds: String, _ event: String, _ body: String) -> String {
  "\(String(repeating: " ", count: max(1, 16 - task.count)))\(task)     [000] \(irq ? "d.h1." : ".....")    \(seconds): \(event): \(body)"
}

func ft(_ task: String, _ seconds: String, _ event: String, _ body: String) -> String {
  ft(task, irq: false, seconds, event, body)
}

/// A line of task mmwork-200.
func ft(_ seconds: String, _ event: String, _ body: String) -> String {
  ft("mmwork-200", irq: false, seconds, event, body)
}

/// The page pointer of a pfn under nokaslr with 5-level paging.
func page(_ pfn: UInt64) -> String { "0x" + String(0xffd4_0000_0000_0000 + pfn * 64, radix: 16) }

/// What each kernel event becomes (docs/import.md, "Events"), on lines as
/// the capture recipe's probes print them.
@Suite struct KernelTraceImporterTests {
  @Test("6.1: a long-term pin by try_grab_page, its unpin by gup_put_folio")
  func longTermPin61() throws {
    let t = [
      ft("1.000000", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x8800)) head=1 order=9 chead=0x0 torder=0 ref=1 mapping=0xff11000006039901 flags=0x50001"),
      ft("2.000000", "gup_put_folio", "(gup_put_folio+0x0/0xa0) folio=\(page(0x8800)) head=1 order=9 ref=1025 refs=1 flags=0x40000"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.statements.contains("memory 0x8800+512 order=9 backing=anon"))
    #expect(r.events == ["mmwork-200: pin 0x8800 longterm write", "mmwork-200: unpin 0x8800"])
    #expect(r.trace.contains("@1000000000 mmwork-200: pin 0x8800 longterm write  # from 1 "))
    #expect(r.summary.layout?.name == "Linux 6.1 and before")
  }

  @Test("6.2+: a short-term pin of two pages by try_grab_folio_fast, their unpin")
  func shortTermPin612() throws {
    let t = [
      ft("1.000000", "grab_folio_fast", "(try_grab_folio_fast+0x0/0x190) page=\(page(0x5501)) head=0 order=0 chead=0x\(String(UInt64(0xffd4_0000_0000_0000) + 0x5500 * 64 + 1, radix: 16)) torder=4 ref=2 mapping=0xff110000056ebea1 refs=2 flags=0x80001"),
      ft("2.000000", "gup_put_folio", "(gup_put_folio+0x0/0xa0) folio=\(page(0x5500)) head=1 order=4 ref=3 refs=2 flags=0x80000"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.statements.contains("memory 0x5500+16 order=4 backing=anon"))
    #expect(r.events == ["mmwork-200: pin 0x5501+2 write", "mmwork-200: unpin 0x5501+2"])
    #expect(r.summary.layout?.name == "Linux 6.2 and later")
  }

  @Test("--kernel decides a flags value both layouts read as a grab", arguments: [("6.1", "pin 0x10"), ("6.12.95+deb12-amd64", "get 0x10 via=gup")])
  func kernelRelease(_ release: String, _ expected: String) throws {
    // 0x42002: PIN|REMOTE|TOUCH in 6.1, REMOTE|GET|(bit 13) in 6.2+ (bit 13 is 6.1's FOLL_REMOTE).
    let t = ft("1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x10)) flags=0x40002")
    let r = try importText(t) { $0.kernel = release }
    #expect(r.events == ["mmwork-200: \(expected)"])
  }

  @Test("--kernel on s390 replays the trace under that release's rules (policy kernel=)", arguments: [
    ("6.12.95+deb12-amd64", "6.12"), ("6.10", "6.10"), ("7.0-rc1", "next"), ("6.1", nil),
  ])
  func kernelKnob(_ release: String, _ knob: String?) throws {
    let r = try importText(ft("1.0", "tracing_mark_write", "x")) { $0.kernel = release }
    #expect(r.statements.contains { $0.hasPrefix("policy ") } == (knob != nil))
    if let knob { #expect(r.statements.contains("policy kernel=\(knob)")) }
    let sev = try importText(ft("1.0", "tracing_mark_write", "x")) {
      $0.kernel = release
      $0.architecture = .sev
    }
    #expect(!sev.statements.contains { $0.hasPrefix("policy ") })
  }

  @Test("6.1's FOLL_TOUCH|FOLL_FORCE grabs nothing and does not decide the layout")
  func neitherGetNorPin() throws {
    let t = [
      ft("1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x10)) flags=0x2007"),
      ft("1.1", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x11)) flags=0x50001"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.events == ["mmwork-200: get 0x10 via=gup", "mmwork-200: pin 0x11 longterm write"])
    #expect(GUPFlags.evidence(0x12) == nil)
    #expect(GUPFlags.evidence(0x2007) == .linux61)
    #expect(GUPFlags.evidence(0x80001) == .linux62)
    #expect(GUPFlags.evidence(0x50001) == .linux61)
  }

  @Test("6.10+: a folio grab takes the page follow_page_pte() returns")
  func folioGrabThenPage() throws {
    let t = [
      ft("1.0", "grab_folio", "(try_grab_folio+0x4/0x90) folio=\(page(0x100)) head=1 order=2 ref=2 refs=1 flags=0x80001"),
      ft("1.1", "follow_page_ret", "(__get_user_pages+0x1/0x2 <- follow_page_pte) page=\(page(0x102))"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.events == ["mmwork-200: pin 0x102 write"])
  }

  @Test("a THP grab that names the head: the page from the GUP call's address")
  func thpGrabFromAddress() throws {
    let t = [
      ft("1.0", "gup_longterm", "(__gup_longterm_locked+0x0/0x9a0) start=0x7f0ccf601000 nr=2 flags=0x10001"),
      ft("1.1", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x8800)) head=1 order=9 flags=0x50001"),
      ft("1.2", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x8800)) head=1 order=9 flags=0x50001"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.events == ["mmwork-200: pin 0x8801 longterm write", "mmwork-200: pin 0x8802 longterm write"])
  }

  @Test("the unpin API's own events count only when no gup_put_folio follows them")
  func unpinApi() throws {
    let pin = ft("1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x20)) flags=0x42002")
    let unpin = ft("2.0", "unpin_user_pages_dirty_lock", "(unpin_user_pages_dirty_lock+0x0/0x170) pages=0xffa0 n=1 dirty=0 pg={\(page(0x20)),0x0}")
    let nested = ft("2.1", "unpin_user_pages", "(unpin_user_pages+0x0/0x120) pages=0xffa0 n=1 pg={\(page(0x20)),0x0}")
    let put = ft("2.2", "gup_put_folio", "(gup_put_folio+0x0/0xa0) folio=\(page(0x20)) refs=1 flags=0x40000 ref=1025")
    let next = ft("3.0", "tracing_mark_write", "done")
    let withPut = try importText([pin, unpin, nested, put, next].joined(separator: "\n")) { $0.kernel = "6.1" }
    #expect(withPut.events == ["mmwork-200: pin 0x20", "mmwork-200: unpin 0x20", "mmwork-200: note done"])
    let without = try importText([pin, unpin, next].joined(separator: "\n")) { $0.kernel = "6.1" }
    #expect(without.events == ["mmwork-200: pin 0x20", "mmwork-200: unpin 0x20", "mmwork-200: note done"])
    #expect(without.trace.contains("unpin 0x20  # from 2 unpin_user_page"))
  }

  @Test("writeback: the start by the flusher, the device's read and the end by the completion in interrupt context")
  func writeback() throws {
    let t = [
      ft("kworker/u4:1-25", "1.0", "block_rq_issue", "254,0 W 4096 () 18178 + 8 [kworker/u4:1]"),
      ft("kworker/u4:1-25", "1.0", "start_wb", "(__folio_start_writeback+0x0/0x250) folio=\(page(0x30)) head=0 order=0 ref=3 index=0 ino=12 keep_write=0"),
      ft("<idle>-0", irq: true, "1.5", "end_wb", "(folio_end_writeback+0x0/0x80) folio=\(page(0x30)) head=0 order=0 ref=3 index=0 ino=12"),
      ft("kworker/u4:1-25", "2.0", "start_wb", "(__folio_start_writeback+0x0/0x250) folio=\(page(0x30)) head=0 order=0 ref=3"),
      ft("kworker/u4:1-25", "2.1", "start_wb", "(__folio_start_writeback+0x0/0x250) folio=\(page(0x30)) head=0 order=0 ref=3"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.statements.contains("memory 0x30+1 order=0 backing=file"))
    #expect(r.statements.contains("actor kworker_u4_1-25 host"))
    #expect(r.statements.contains("actor bdev.254.0 device"))
    #expect(
      r.events == [
        "kworker_u4_1-25: writeback-start 0x30", "bdev.254.0: dma 0x30 read", "irq: writeback-end 0x30",
        "kworker_u4_1-25: writeback-start 0x30", "irq: writeback-end 0x30", "kworker_u4_1-25: writeback-start 0x30",
      ])
    #expect(r.summary.impliedEnds == 1)
    #expect(r.trace.contains("# kworker/u4:1-25: kernel worker"))
  }

  @Test("6.1 direct I/O: FOLL_GET references, the bio's pages read by the device, then put")
  func directIO61() throws {
    let t = [
      ft("1.0", "iomap_dio", "(__iomap_dio_rw+0x0/0x7e0) pos=0 iter_type=6 data_source=1 count=8192"),
      ft("1.1", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x40)) flags=0x5"),
      ft("1.2", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x41)) flags=0x5"),
      ft("<idle>-0", irq: true, "1.5", "bio_release", "(__bio_release_pages+0x0/0x2c0) bio=0xff11 mark_dirty=0 vcnt=2 bvec={\(page(0x40)),0x1000,\(page(0x41)),0x1000,0x0,0x0}"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(
      r.events == [
        "mmwork-200: get 0x40 via=gup", "mmwork-200: get 0x41 via=gup", "bdev: dma 0x40 read", "mmwork-200: put 0x40", "bdev: dma 0x41 read",
        "mmwork-200: put 0x41",
      ])
  }

  @Test("vmsplice: the pipe's consumer reads the page, then its reference goes")
  func pipeBuffer() throws {
    let t = [
      ft("1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x50)) flags=0x5"),
      ft("1.5", "pipe_buf_release", "(generic_pipe_buf_release+0x0/0x60) buf=0xff11 page=\(page(0x50)) off=0 len=4096 ref=2 mapping=0xff11000005000001"),
      ft("1.6", "pcache_pipe_buf_release", "(page_cache_pipe_buf_release+0x0/0x60) buf=0xff11 page=\(page(0x60)) off=0 len=4096 ref=2 mapping=0xff11000005000000"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.events == ["mmwork-200: get 0x50 via=gup", "mmwork-200: access 0x50 read kernel", "mmwork-200: put 0x50", "mmwork-200: access 0x60 read kernel"])
    #expect(r.statements.contains("memory 0x60+1 order=0 backing=file"))
    #expect(r.summary.unmatched["pipe_buf_release"] == 1)
  }

  @Test("io_uring fixed I/O: the device on the registered buffer's pages, from its bvecs")
  func fixedIO() throws {
    // A 2-page buffer at 0x1000 whose bvec is one 8 KiB folio; I/O on its second page.
    let t = ft("1.0", "io_import_fixed", "(io_import_fixed+0x0/0xf0) ddir=0 imu=0xff11 buf_addr=0x2000 len=4096 ubuf=0x1000 bvec={\(page(0x70)),0x2000,0x0,0x0}")
    let r = try importText(t)
    #expect(r.events == ["bdev: dma 0x71 write"])
  }

  @Test("LRU batches: a reference per folio_add_lru, all drained at a batch move")
  func lru() throws {
    let t = [
      ft("1.0", "folio_add_lru", "(folio_add_lru+0x0/0x90) folio=\(page(0x80)) head=0 order=0 ref=2 mapping=0xff11000005000001"),
      ft("1.1", "lru_batch_move", "(folio_batch_move_lru+0x0/0x150) nr=1 move_fn=lru_add_fn+0x0/0x210 f={\(page(0x80))}"),
      ft("1.2", "lru_batch_move", "(folio_batch_move_lru+0x0/0x150) nr=0 move_fn=lru_add_fn+0x0/0x210 f={}"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.events == ["mmwork-200: lru-add 0x80", "mmwork-200: lru-drain"])
  }

  @Test("a folio freed with references the trace never saw dropped releases them (put_page() is inline)")
  func releasedAtFree() throws {
    let t = [
      ft("1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x90)) flags=0x5"),
      ft("1.1", "mm_page_free", "page=0000000059ab5894 pfn=0x90 order=0"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.events == ["mmwork-200: get 0x90 via=gup", "mmwork-200: put 0x90"])
    #expect(r.summary.releasedAtFree == 1)
  }

  @Test("a compound allocation gives the order of the folio a later event names by page")
  func allocationOrder() throws {
    let t = [
      ft("1.0", "mm_page_alloc", "page=000000005d2badb3 pfn=0xa0 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP"),
      ft("1.1", "mm_page_alloc", "pfn=0xb0 order=1 gfp_flags=0x140cca migratetype=1"),  // trace-cmd -R: numeric, __GFP_COMP 0x40000
      ft("1.2", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0xa3)) flags=0x5"),
      ft("1.3", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0xb1)) flags=0x5"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.statements.contains("memory 0xa0+4 order=2 backing=anon"))
    #expect(r.statements.contains("memory 0xb0+2 order=1 backing=anon"))
  }

  @Test("a head or allocation at a pfn not aligned to its order is not believed (a folio's head is aligned)")
  func misalignedShapes() throws {
    let t = [
      ft("1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x7d4ee)) head=1 order=18 flags=0x5"),
      ft("1.1", "mm_page_alloc", "page=0 pfn=0x103 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP"),
      ft("1.2", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x103)) flags=0x5"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.statements.contains("memory 0x7d4ee+1 order=0 backing=anon"))
    #expect(r.statements.contains("memory 0x103+1 order=0 backing=anon"))
  }

  @Test("lost events are counted and marked in the output, never ignored")
  func lostEvents() throws {
    let t = [
      "# entries-in-buffer/entries-written: 756/900   #P:2",
      ft("1.0", "tracing_mark_write", "a"),
      "CPU:0 [LOST 529 EVENTS]",
      ft("1.1", "tracing_mark_write", "b"),
    ].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.summary.lostEvents == 144 + 529)
    #expect(r.summary.lostMarkers == [1, 3])
    #expect(r.trace.contains("# CPU:0 [LOST 529 EVENTS]: the ring buffer lost 529 events here (input line 3)"))
    var text = ""
    r.summary.write(to: &text)
    #expect(text.contains("LOST: 673 events lost by the ring buffer"))
  }

  @Test("unknown events are counted by name with their first lines; --strict stops at the first")
  func unknownEvents() throws {
    let t = [ft("1.0", "sched_switch", "prev_comm=a"), ft("1.1", "sched_switch", "prev_comm=b"), ft("1.2", "tracing_mark_write", "x")].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.summary.unknown["sched_switch"]?.count == 2)
    #expect(r.summary.unknown["sched_switch"]?.lines == [1, 2])
    let e = try #require(importError(t) { $0.strict = true })
    let column = t.utf8.distance(from: t.utf8.startIndex, to: t.firstRange(of: "sched_switch")!.lowerBound) + 1
    #expect("\(e.location.file):\(e.location.line):\(e.location.column)" == "k.txt:1:\(column)")
    #expect(e.message.contains("unknown event 'sched_switch'"))
  }

  @Test("times that go backwards (per-CPU buffers merged out of order) are kept monotonic")
  func clampedTimes() throws {
    let t = [ft("2.0", "tracing_mark_write", "a"), ft("1.0", "tracing_mark_write", "b")].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.trace.contains("@2000000000 mmwork-200: note a"))
    #expect(r.trace.contains("@2000000000 mmwork-200: note b"))
    #expect(r.summary.clampedTimes == 1)
  }

  @Test("task names become identifiers; kinds and roles by the documented rule")
  func actors() throws {
    #expect(KernelTraceImporter.identifier("CPU 0/KVM") == "CPU_0_KVM")
    #expect(KernelTraceImporter.identifier("9p-worker") == "_9p-worker")
    #expect(KernelTraceImporter.identifier("") == "_")
    #expect(KernelTraceImporter.role(of: "CPU 0/KVM") == "vCPU thread of a VMM")
    #expect(KernelTraceImporter.role(of: "kworker/u4:1") == "kernel worker")
    #expect(KernelTraceImporter.role(of: "qemu-system-x86") == "VMM (QEMU or vhost)")
    // Two tasks whose names sanitize alike stay two actors.
    let t = [ft("a b-1", "1.0", "tracing_mark_write", "x"), ft("a_b-1", "1.1", "tracing_mark_write", "y")].joined(separator: "\n")
    let r = try importText(t)
    #expect(r.events == ["a_b-1: note x", "a_b-1.2: note y"])
  }

  @Test("--guest on s390 PV: the guest's boot import, its share before the host's pin, its touch after")
  func guestS390() throws {
    let t = ft("qemu-vring-237", "1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x8800)) head=1 order=2 flags=0x50001")
    let r = try importText(t) { $0.guest = .anonymous }
    #expect(r.statements.contains("memory 0x8800+4 order=2 backing=anon state=nonsecure"))
    #expect(
      r.events == [
        "guest.0x8800: touch 0x8800+4 write", "guest.0x8800: share 0x8800", "qemu-vring-237: pin 0x8800 longterm write", "guest.0x8800: touch 0x8800+4 write",
      ])
    let secure = try importText(t) {
      $0.guest = .anonymous
      $0.guestIO = .secure
    }
    #expect(!secure.events.contains { $0.contains("share") })
    // A page outside --guest ranges stays host memory.
    let outside = try importText(t) { $0.guest = .ranges([PageRange(first: 0x10, count: 4)]) }
    #expect(outside.statements.contains("memory 0x8800+4 order=2 backing=anon"))
  }

  @Test("--guest on SEV: private memory, converted to shared before the host's pin")
  func guestSEV() throws {
    let t = ft("1.0", "grab_page", "(try_grab_page+0x0/0x100) page=\(page(0x10)) flags=0x50001")
    let r = try importText(t) {
      $0.guest = .all
      $0.architecture = .sev
    }
    #expect(r.statements.contains("arch sev"))
    #expect(r.statements.contains("memory 0x10+1 order=0 backing=anon state=private"))
    #expect(r.events == ["guest.0x10: psc 0x10 shared", "mmwork-200: pin 0x10 longterm write"])
  }

  @Test("--guest ranges parse as the trace language's page sets do", arguments: [
    ("anon", GuestSelection.anonymous), ("all", .all), ("0x10..0x1f", .ranges([PageRange(first: 0x10, count: 16)])),
    ("0x20+4,16", .ranges([PageRange(first: 16, count: 1), PageRange(first: 0x20, count: 4)])),
  ])
  func guestSelection(_ text: String, _ expected: GuestSelection) {
    #expect(GuestSelection.parse(text) == expected)
  }

  @Test("bad --guest values are refused", arguments: ["", "0x20..0x10", "x", "1+0", "0x10,"])
  func badGuestSelection(_ text: String) {
    #expect(GuestSelection.parse(text) == nil)
  }
}
