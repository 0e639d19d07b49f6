import Foundation
import PageStateEngine
import PageStateModel
import PageStateTrace
import Testing

@testable import PageStateImport

/// The real captures of Fixtures/real (docs/capture), imported and replayed.
/// Their `MARK buf name=N page=I ... pfn=P` lines are the workload's own
/// report of its buffers' pfns (from /proc/self/pagemap): the ground truth
/// the import's pins and DMA are checked against.
@Suite struct RealTraceTests {
  static func expectedFormat(_ path: String) -> KernelTraceFormat {
    if path.hasSuffix(".perf.txt") { return .perf }
    if path.hasSuffix(".bpftrace.txt") { return .bpftrace }
    if path.contains(".trace-cmd") { return .traceCmd }
    return .ftrace
  }

  @Test("there are real captures of at least two kernels and every workload")
  func capturesPresent() {
    #expect(realTraces.count >= 40)
    for workload in ["wb", "dio", "uring", "vring", "splice", "pvm", "thp", "mixed"] {
      #expect(realTraces.contains { $0.hasSuffix("6.1.0-57-amd64/\(workload).txt") })
      #expect(realTraces.contains { $0.hasSuffix("6.12.95+deb12-amd64/\(workload).txt") })
    }
  }

  @Test("every capture imports in its own format, with every line understood", arguments: realTraces)
  func importsCleanly(_ path: String) throws {
    let r = try importFixture(path)
    #expect(r.summary.format == RealTraceTests.expectedFormat(path))
    #expect(r.summary.unparsed == 0)
    #expect(r.summary.unknown.isEmpty, "unknown events: \(r.summary.unknown.keys.sorted())")
    #expect(r.summary.events > 50)
    #expect(r.summary.applied > 10)
  }

  @Test("every import replays under the four presets without an input error: host only, s390 guest, SEV guest", arguments: realTraces)
  func replays(_ path: String) throws {
    for configure: (inout ImportOptions) -> Void in [
      { _ in }, { $0.guest = .anonymous }, { $0.guest = .all; $0.architecture = .sev },
    ] {
      let results = try replayAll(importFixture(path, configure))
      for r in results {
        #expect(r.error == nil, "\(r.policy.name): \(r.error.map { "\($0)" } ?? "")")
      }
    }
  }

  /// The pfns the workload reported for a buffer, by page index.
  static func marked(_ r: Imported, _ buffer: String) -> [UInt64] {
    var pages: [(Int, UInt64)] = []
    for line in r.trace.split(separator: "\n") where line.contains("note MARK buf name=\(buffer) ") {
      let words = line.split(separator: " ")
      guard let i = words.first(where: { $0.hasPrefix("page=") }).flatMap({ Int($0.dropFirst(5)) }),
        let pfn = words.first(where: { $0.hasPrefix("pfn=0x") }).flatMap({ UInt64($0.dropFirst(6), radix: 16) })
      else { continue }
      pages.append((i, pfn))
    }
    return pages.sorted { $0.0 < $1.0 }.map(\.1)
  }

  /// The pages of every `VERB` event of the import (expanding `P+N`).
  static func pages(_ r: Imported, verb: String) -> Set<UInt64> {
    var out = Set<UInt64>()
    for e in r.events {
      let words = e.split(separator: " ")
      guard words.count >= 3, words[1] == verb[...] else { continue }
      let set = words[2].split(separator: "+")
      guard let first = UInt64(set[0].dropFirst(2), radix: 16) else { continue }
      let n = set.count > 1 ? UInt64(set[1]) ?? 1 : 1
      for q in first..<(first + n) { out.insert(q) }
    }
    return out
  }

  @Test("the kernel's own lost-event markers are counted and marked in the output", arguments: ["6.1.0-57-amd64", "6.12.95+deb12-amd64"])
  func lostEvents(_ kernel: String) throws {
    let r = try importFixture("Fixtures/real/\(kernel)/wb.lost.txt")
    #expect(!r.summary.lostMarkers.isEmpty)
    #expect(r.summary.lostEvents > 300)
    #expect(r.trace.contains("events here (input line \(r.summary.lostMarkers[0]))"))
  }

  @Test("io_uring registered buffers: a long-term pin on each page the workload names, and DMA on them", arguments: ["6.1.0-57-amd64", "6.12.95+deb12-amd64"])
  func uringGroundTruth(_ kernel: String) throws {
    let r = try importFixture("Fixtures/real/\(kernel)/uring.txt")
    let buffer = RealTraceTests.marked(r, "uring_buf0")
    #expect(buffer.count == 4)
    let pinned = RealTraceTests.pages(r, verb: "pin")
    #expect(Set(buffer).isSubset(of: pinned))
    #expect(r.events.contains { $0.contains(": pin ") && $0.hasSuffix("longterm write") })
    #expect(Set(buffer).isSubset(of: RealTraceTests.pages(r, verb: "dma")))
  }

  @Test("direct I/O: 6.1 takes FOLL_GET references, 6.12 pins (iov_iter_extract_pages), on the buffer's pages", arguments: [("6.1.0-57-amd64", "get"), ("6.12.95+deb12-amd64", "pin")])
  func dioGroundTruth(_ kernel: String, _ verb: String) throws {
    let r = try importFixture("Fixtures/real/\(kernel)/dio.txt")
    let buffer = RealTraceTests.marked(r, "dio_wbuf")
    #expect(buffer.count >= 4)
    #expect(Set(buffer).isSubset(of: RealTraceTests.pages(r, verb: verb)))
    #expect(Set(buffer).isSubset(of: RealTraceTests.pages(r, verb: "dma")))
  }

  @Test("the virtio-ring pattern on a THP: under `folio` the guest's touch waits forever on the VMM's long-term pin; `page` stays clean", arguments: ["6.1.0-57-amd64", "6.12.95+deb12-amd64"])
  func vringHang(_ kernel: String) throws {
    let r = try importFixture("Fixtures/real/\(kernel)/vring.txt") { $0.guest = .anonymous }
    let ring = RealTraceTests.marked(r, "vring_ring")
    #expect(ring.count == 4)
    #expect(Set(ring).isSubset(of: RealTraceTests.pages(r, verb: "pin")))
    #expect(r.statements.contains { $0.hasPrefix("memory ") && $0.contains(" order=9 ") && $0.contains("state=nonsecure") })
    let results = try replayAll(r)
    let byPolicy = Dictionary(uniqueKeysWithValues: results.map { ($0.policy.name, $0) })
    let folio = try #require(byPolicy["folio"])
    #expect(folio.findings.findings.contains { $0.kind == .hang })
    let page = try #require(byPolicy["page"])
    #expect(!page.hasErrorOrHang)
  }
}
