import Testing

@testable import PageStateTrace

/// Interning of actor names, DMA ids and tags (NameTable.swift).
@Suite struct NameTableTests {

  func find(_ table: NameTable, _ name: String) -> Int32? {
    Array(name.utf8).withUnsafeBufferPointer { table.find($0) }
  }

  @discardableResult
  func insert(_ table: inout NameTable, _ name: String) -> Int32 {
    Array(name.utf8).withUnsafeBufferPointer { table.insert($0) }
  }

  @Test func emptyTableFindsNothing() {
    let table = NameTable()
    #expect(table.count == 0)
    #expect(table.names.isEmpty)
    #expect(find(table, "a") == nil)
  }

  @Test func insertReturnsDenseIndicesInOrder() {
    var table = NameTable()
    #expect(insert(&table, "vcpu0") == 0)
    #expect(insert(&table, "qemu") == 1)
    #expect(insert(&table, "virtio") == 2)
    #expect(table.count == 3)
    #expect(table.names == ["vcpu0", "qemu", "virtio"])
    #expect(find(table, "qemu") == 1)
    #expect(find(table, "vcpu0") == 0)
    #expect(find(table, "virtio") == 2)
  }

  @Test func lookupsCompareWholeNames() {
    var table = NameTable()
    insert(&table, "vcpu")
    insert(&table, "vcpu0")
    insert(&table, "vcpu00")
    #expect(find(table, "vcpu") == 0)
    #expect(find(table, "vcpu0") == 1)
    #expect(find(table, "vcpu00") == 2)
    #expect(find(table, "vcp") == nil)
    #expect(find(table, "vcpu000") == nil)
    #expect(find(table, "VCPU") == nil)
    #expect(find(table, "vcpu1") == nil)
  }

  @Test func aLongerNameInTheSameSlotDoesNotMatchItsPrefix() {
    // With FNV-1a and 64 slots, "vcpu" and "vcpu2" start probing at the same slot
    // (the test holds, if more weakly, for any other hash).
    var table = NameTable()
    insert(&table, "vcpu2")
    insert(&table, "vcpu22")
    #expect(find(table, "vcpu") == nil)
    #expect(find(table, "vcpu2") == 0)
    #expect(find(table, "vcpu22") == 1)
    insert(&table, "vcpu")
    #expect(find(table, "vcpu") == 2)
    #expect(find(table, "vcpu2") == 0)
  }

  @Test func tableGrowsAndKeepsEveryName() {
    // The table starts with 64 slots and doubles past half full: cross several doublings.
    var table = NameTable()
    let names = (0..<5000).map { "actor\($0)" }
    for (i, name) in names.enumerated() {
      #expect(insert(&table, name) == Int32(i))
    }
    #expect(table.count == 5000)
    #expect(table.names == names)
    var misses = 0
    for (i, name) in names.enumerated() where find(table, name) != Int32(i) { misses += 1 }
    #expect(misses == 0)
    #expect(find(table, "actor5000") == nil)
    #expect(find(table, "actor") == nil)
  }

  @Test func growthAtTheBoundary() {
    var table = NameTable()
    for i in 0..<32 { insert(&table, "n\(i)") }
    #expect(find(table, "n31") == 31)
    insert(&table, "n32")  // 33 * 2 > 64: the first rehash
    #expect((0...32).map { find(table, "n\($0)") } == (0...32).map { Int32($0) })
  }

  @Test func namesAreBytesDecodedAsUTF8() {
    var table = NameTable()
    insert(&table, "ünïcode")
    #expect(table.names == ["ünïcode"])
    #expect(find(table, "ünïcode") == 0)
    #expect(find(table, "unicode") == nil)
  }

  @Test func actorsAndSymbolsAreInternedOncePerTrace() throws {
    var text = s390Setup
    for i in 0..<300 { text += "h\(i % 100): get \(i % 256) via=tag\(i % 50)\n" }
    var reader = TraceReader(fileName: "t.trace", source: ByteSource(string: text))
    let all = try reader.readAll()
    #expect(actors(all).count == 100)
    #expect(symbols(all).count == 50)
    #expect(reader.actorNames == (0..<100).map { "h\($0)" })
    let e = events(all)
    #expect(e.count == 300)
    #expect(e.enumerated().allSatisfy { Int($0.element.actor) == $0.offset % 100 })
    #expect(e.enumerated().allSatisfy { Int($0.element.via) == $0.offset % 50 })
  }
}
