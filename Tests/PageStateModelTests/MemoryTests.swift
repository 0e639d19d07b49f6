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

/// A folio held by many actors (issue 16: 100 k actors took 33 s): the
/// long-list index gives the same answers as the walk of the list.
@Suite struct LongHolderListTests {
  @Test("holds and releases by many actors, in a scrambled order: counts, order and the index's life", arguments: [3, 17, 200])
  func manyActors(_ actors: Int) {
    var m = Memory()
    m.declare(MemoryDeclaration(pages: PageRange(first: 0, count: 4), order: 2, backing: .anon, state: .nonsecure, line: 1), initialBits: 0)
    for a in 0..<actors {
      m.hold(0, actor: Int32(a), kind: .get, count: 2, line: a + 2, head: 0)
      if a % 3 == 0 { m.hold(0, actor: Int32(a), kind: .pin, count: 1, line: a + 2, head: 0) }
    }
    if actors > 5 { m.hold(0, actor: 5, kind: .get, count: 1, line: 9999, head: 0) }  // an existing record grows
    func expected(_ list: [Int]) -> [Int32] {
      var out: [Int32] = []
      for a in list {
        out.append(Int32(a))
        if a % 3 == 0 { out.append(Int32(a)) }
      }
      return out
    }
    #expect(m.holders(of: 0).map(\.actor) == expected(Array(0..<actors)))
    let records = actors + (actors + 2) / 3
    #expect((m.entries[0].spare & 1 != 0) == (records > Memory.longList))
    #expect(m.held(0, actor: 5, kinds: HolderKinds([.get])) == (actors > 5 ? 3 : 0))
    // Release in a scrambled order; each actor's get, then its pin.
    var order = Array(0..<actors)
    var x: UInt64 = 7
    for i in order.indices.reversed() {
      x = x &* 6364136223846793005 &+ 1442695040888963407
      order.swapAt(i, Int(x >> 33) % (i + 1))
    }
    for (k, a) in order.enumerated() {
      let want: UInt32 = a == 5 && actors > 5 ? 3 : 2
      #expect(m.release(0, actor: Int32(a), kinds: HolderKinds([.get]), count: 10, head: 0) == want)
      #expect(m.held(0, actor: Int32(a), kinds: HolderKinds([.get])) == 0)
      if a % 3 == 0 { #expect(m.release(0, actor: Int32(a), kinds: HolderKinds([.get, .pin]), count: 1, head: 0) == 1) }
      if k % 7 == 0 || k == actors - 1 { #expect(m.holders(of: 0).map(\.actor) == expected(order[(k + 1)...].sorted())) }
    }
    #expect(m.entries[0].extra == 0)
    #expect(m.entries[0].spare & 1 == 0)
    #expect(m.longLists.isEmpty)
  }
}
