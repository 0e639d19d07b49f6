import Foundation
import Testing

@testable import PageStateTrace

/// The reader's fast path for common event lines (TraceReader+FastEvent.swift)
/// gives exactly what the general parser gives: the same statements, and the
/// same error at the same line and column, on every fixture and on lines
/// mutated byte by byte.
struct FastEventTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static var fixtures: [String] {
    ["Fixtures/s390", "Fixtures/sev", "Fixtures/explore", "Fixtures/errors"].flatMap { d in
      ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(d).path)) ?? [])
        .filter { $0.hasSuffix(".trace") || $0.hasSuffix(".trace.bad") }.map { "\(d)/\($0)" }
    }.sorted()
  }

  /// Every statement (and the error, if any) of a trace read in batches.
  static func read(_ bytes: [UInt8], fast: Bool) -> (statements: [Statement], error: TraceError?) {
    var reader = TraceReader(fileName: "t", source: ByteSource(bytes: bytes))
    reader.usesFastPath = fast
    var batch = StatementBatch()
    var all: [Statement] = []
    do {
      while true {
        let more = try reader.read(into: &batch, limit: 7)
        all += batch.statements
        if !more { return (all, nil) }
      }
    } catch {
      all += batch.statements
      return (all, error)
    }
  }

  static func expectSamePaths(_ bytes: [UInt8], _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let fast = read(bytes, fast: true)
    let general = read(bytes, fast: false)
    #expect(fast.statements == general.statements, "\(what)", sourceLocation: sourceLocation)
    #expect(fast.error == general.error, "\(what): \(String(describing: fast.error)) vs \(String(describing: general.error))", sourceLocation: sourceLocation)
  }

  @Test("fixtures: the fast path and the general parser agree", arguments: fixtures)
  func fixture(_ path: String) throws {
    let bytes = Array(try Data(contentsOf: Self.root.appendingPathComponent(path)))
    Self.expectSamePaths(bytes, path)
  }

  @Test(arguments: [
    ("q: pin 0x2 write", true),
    ("d: dma-start 0x2 read id=x", true),
    ("d: dma-end id=x", true),
    ("v:\ttouch   0x3", true),
    ("q: pin 0x2 write # a comment", false),
    ("q: pin 0x2..0x3", false),
    ("q: pin 0x2+2", true),
    ("q: pin 0x2+0", false),
    ("q: pin 0x2+0x2", false),
    ("q: pin 0x3e+3", false),
    ("q: lock 0x2+2", false),
    ("q: pin 2", false),
    ("q: get 0x2 via=new", false),
    ("q : pin 0x2", false),
    ("@5us q: pin 0x2", false),
    ("n: pin 0x2", false),
    ("q: touch 0x2", false),
    ("q: note hello", false),
    ("q: pin 0x100", false),
    ("q: pin write 0x2", false),
    ("q: pin 0x2 longterm write", true),
    ("q: pin 0x2 longtermx", false),
    ("q: pin 0x2 write=x", false),
    ("q: get 0x2 via=x", true),
    ("q: get 0x2 via=x id=x", false),
    ("q: pin 0X2A", true),
    ("q: pin 0x2+1", true),
    ("q: pin 0x2\r", false),
    ("q: writeback-start 0x2", true),
    ("q: make-accessible 0x2", true),
    ("v: touch 0x2 write", true),
    ("q: lru-drain", true),
    ("q: lru-drain  ", true),
    ("q: lru-drain x", false),
    ("vcpu-with-a-long-name: touch 0x2", false),
  ])
  func whichLinesTakeTheFastPath(_ line: String, _ fast: Bool) throws {
    let setup = "arch s390-pv\nmemory 0x0+64 order=2\nactor v guest\nactor q host\nactor d device\nd: dma-start 0x1 read id=x\n"
    var reader = TraceReader(fileName: "t", source: ByteSource(string: setup))
    var batch = StatementBatch()
    while try reader.read(into: &batch, limit: 100) {}
    // The fast path needs 17 bytes in hand past a line's start: the
    // padding stands for the lines that follow in a real trace.
    let bytes = Array((line + "\n" + String(repeating: "#", count: 32) + "\n").utf8)
    var events: [Event] = []
    let next = bytes.withUnsafeBufferPointer {
      reader.fastEvents($0.baseAddress!, from: 0, to: $0.count, into: &events, limit: 10)
    }
    #expect((next == line.utf8.count + 1) == fast)
    #expect(events.count == (fast ? 1 : 0))
    Self.expectSamePaths(Array((setup + line + "\n").utf8), line)
    Self.expectSamePaths(Array((setup + line + "\n# padding so that the fast path sees the line\n").utf8), line)
  }

  @Test("pages from 2^28 on (eight hexadecimal digits or more) and ranges at a block's end: both paths agree")
  func longPageNumbers() throws {
    let setup = "arch s390-pv\nmemory 0x123456780+16\nmemory 0xfffffffff0+16 order=2\nactor q host\nactor v guest\nq: pin 0x123456780\n"
    let lines = [
      "q: pin 0x123456789", "q: pin 0x12345678F+1", "q: pin 0x12345678e+2", "v: touch 0xFFFFFFFFF0+16 write", "q: pin 0x12345678f+2",
      "v: touch 0xfffffffffc+5", "q: pin 0x00000000123456781", "q: pin 0x1234567800",
    ]
    for line in lines {
      Self.expectSamePaths(Array((setup + line + "\n# padding so that the fast path sees the line\n").utf8), line)
    }
    // The first four are the fast path's, with the right pages.
    var reader = TraceReader(fileName: "t", source: ByteSource(string: setup))
    var batch = StatementBatch()
    while try reader.read(into: &batch, limit: 100) {}
    let bytes = Array((lines.prefix(4).joined(separator: "\n") + "\n# padding, padding, padding\n").utf8)
    var events: [Event] = []
    _ = bytes.withUnsafeBufferPointer { reader.fastEvents($0.baseAddress!, from: 0, to: $0.count, into: &events, limit: 10) }
    #expect(events.map(\.pages) == [
      PageRange(first: 0x1_2345_6789, count: 1), PageRange(first: 0x1_2345_678F, count: 1), PageRange(first: 0x1_2345_678E, count: 2),
      PageRange(first: 0xFF_FFFF_FFF0, count: 16),
    ])
  }

  /// A deterministic generator for the mutations.
  struct Mixer {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
  }

  @Test("mutated event lines: both paths give the same statements or the same error", arguments: 0..<8)
  func mutations(_ seed: Int) {
    let setup = "pagestate 1\narch s390-pv\nmemory 0x0+0x400 order=2\nmemory 0x1000+0x10\nactor v guest\nactor q host\nactor d device\nq: get 0x5 via=tag\nd: dma-start 0x6 read id=io\nd: dma-end id=io\n"
    let lines = [
      "v: touch 0x1 write", "q: pin 0x2 write", "q: pin 0x2 longterm", "q: unpin 0x2", "d: dma 0x3 read id=io",
      "d: dma-start 0x4 write id=io", "d: dma-end id=io", "q: get 0x5 via=tag", "q: put 0x5", "q: lru-drain",
      "q: writeback-start 0x8", "q: writeback-end 0x8", "q: spec-get 0x9", "q: access 0xa read kernel", "v: share 0x1004",
    ]
    let alphabet: [UInt8] = Array(" \t#:=+.x0fgAZ!\"@-_\r".utf8) + [0x01, 0xC3, 0x7F]
    var mixer = Mixer(state: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    for _ in 0..<300 {
      var line = Array(lines[mixer.next(lines.count)].utf8)
      for _ in 0...mixer.next(3) {
        let at = mixer.next(line.count + 1)
        switch mixer.next(3) {
        case 0 where at < line.count: line[at] = alphabet[mixer.next(alphabet.count)]
        case 1 where at < line.count: line.remove(at: at)
        default: line.insert(alphabet[mixer.next(alphabet.count)], at: at)
        }
      }
      // The comment at the end leaves the fast path the 17 bytes it needs.
      let trace = Array(setup.utf8) + line + Array("\nv: touch 0x7\n# the end of the trace, some bytes away\n".utf8)
      Self.expectSamePaths(trace, String(decoding: line, as: UTF8.self))
    }
  }
}
