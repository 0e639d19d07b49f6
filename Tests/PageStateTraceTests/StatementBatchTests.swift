import Foundation
import PageStateTrace
import Testing

/// `TraceReader.read(into:limit:)` yields exactly the statements of `next()`,
/// in the same order, whatever the batch size.
struct StatementBatchTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static var fixtures: [String] {
    ["Fixtures/s390", "Fixtures/sev", "Fixtures/explore"].flatMap { d in
      ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(d).path)) ?? [])
        .filter { $0.hasSuffix(".trace") }.map { "\(d)/\($0)" }
    }.sorted()
  }

  func batched(_ bytes: [UInt8], limit: Int) throws(TraceError) -> [Statement] {
    var reader = TraceReader(fileName: "t", source: ByteSource(bytes: bytes))
    var batch = StatementBatch()
    var all: [Statement] = []
    while true {
      let more = try reader.read(into: &batch, limit: limit)
      #expect(batch.events.count <= limit)
      all += batch.statements
      if !more { return all }
    }
  }

  @Test("fixtures: batches hold the statements of next(), for several batch sizes", arguments: fixtures)
  func fixture(_ path: String) throws {
    let bytes = Array(try Data(contentsOf: Self.root.appendingPathComponent(path)))
    var reader = TraceReader(fileName: "t", source: ByteSource(bytes: bytes))
    let expected = try reader.readAll()
    #expect(!expected.isEmpty)
    for limit in [1, 2, 3, 7, 16384] {
      #expect(try batched(bytes, limit: limit) == expected, "limit \(limit)")
    }
  }

  @Test func notesImplicitActorsAndSymbolsComeBeforeTheirEvent() throws {
    let text = """
      arch s390-pv
      memory 0+8
      a: note hello there
      a: get 1
      d: dma-start 2 read id=x
      expect clean

      """
    let bytes = Array(text.utf8)
    var reader = TraceReader(fileName: "t", source: ByteSource(bytes: bytes))
    var batch = StatementBatch()
    #expect(try reader.read(into: &batch, limit: 100) == false)
    #expect(batch.events.map(\.verb) == [.get, .dmaStart])
    // arch, memory, actor a, note, actor a (its kind decided), actor d, symbol x, expect.
    #expect(batch.others.count == 8)
    #expect(batch.positions == [0, 0, 0, 0, 0, 1, 1, 2])
    guard case .note(_, let note) = batch.others[3] else {
      Issue.record("expected the note fourth, got \(batch.others[3])")
      return
    }
    #expect(note == "hello there")
    var sequential = TraceReader(fileName: "t", source: ByteSource(bytes: bytes))
    #expect(batch.statements == (try sequential.readAll()))
  }

  @Test func anErrorKeepsTheStatementsBeforeTheBadLine() {
    let bytes = Array("arch s390-pv\nmemory 0+8\na: get 1\na: put 1\na: frobnicate 2\n".utf8)
    var reader = TraceReader(fileName: "t", source: ByteSource(bytes: bytes))
    var batch = StatementBatch()
    #expect(throws: TraceError.self) { _ = try reader.read(into: &batch, limit: 100) }
    #expect(batch.events.map(\.line) == [3, 4])
  }

  @Test("an event is a plain 72-byte value: no padding between its fields, nothing to reference-count")
  func eventLayout() {
    #expect(MemoryLayout<Event>.stride == 72)
    #expect(_isPOD(Event.self))
  }
}
