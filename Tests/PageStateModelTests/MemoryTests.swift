import Testing

@testable import PageStateModel
import PageStateTrace

/// Memory's addressing when blocks are declared out of page order, as an
/// imported kernel trace declares them (in the order it meets its folios).
@Suite struct MemoryTests {
  static let declarations: [(first: UInt64, count: UInt64, order: Int, backing: Backing)] = [
    (0x4000, 8, 2, .anon), (0x10, 4, 0, .file), (0x9000, 512, 9, .anon), (0x20, 1, 0, .file), (0x8, 2, 1, .anon),
  ]

  func memory() -> Memory {
    var m = Memory()
    for (i, d) in MemoryTests.declarations.enumerated() {
      m.declare(MemoryDeclaration(pages: PageRange(first: d.first, count: d.count), order: d.order, backing: d.backing, state: .nonsecure, line: i + 1), initialBits: 0)
    }
    return m
  }

  @Test("index(of:) and page(at:) are inverse, whatever the order of declaration")
  func pagesAndIndicesRoundTrip() {
    var m = memory()
    for d in MemoryTests.declarations {
      for page in d.first..<(d.first + d.count) {
        let i = m.index(of: page)
        #expect(m.page(at: i) == page)
        #expect(m.backing(ofIndex: i) == d.backing)
      }
    }
  }

  @Test("blocks are kept sorted by page and found by binary search")
  func blocksSorted() {
    let m = memory()
    #expect(m.blocks.map(\.pages.first) == [0x8, 0x10, 0x20, 0x4000, 0x9000])
    #expect(m.isDeclared(0x9000 + 511))
    #expect(!m.isDeclared(0x9000 + 512))
    #expect(!m.isDeclared(0x11 + 3))
    #expect(m.blockIndex(of: 0x4007) == 3)
  }
}
