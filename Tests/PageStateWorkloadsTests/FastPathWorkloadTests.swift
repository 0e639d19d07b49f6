import PageStateWorkloads
import Testing

@testable import PageStateTrace

/// On every generated workload, the reader's fast path for common event
/// lines yields the statements of the general parser.
struct FastPathWorkloadTests {
  static func statements(_ bytes: [UInt8], fast: Bool) throws -> [Statement] {
    var reader = TraceReader(fileName: "g", source: ByteSource(bytes: bytes))
    reader.usesFastPath = fast
    var batch = StatementBatch()
    var all: [Statement] = []
    while true {
      let more = try reader.read(into: &batch, limit: 4096)
      all += batch.statements
      if !more { return all }
    }
  }

  @Test(arguments: Workload.allCases)
  func sameStatements(_ workload: Workload) throws {
    let bytes = generate(workload, events: 20_000)
    let fast = try Self.statements(bytes, fast: true)
    #expect(fast.count > 20_000)
    #expect(fast == (try Self.statements(bytes, fast: false)))
  }
}
