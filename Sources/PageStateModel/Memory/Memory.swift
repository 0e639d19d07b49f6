import PageStateTrace

/// The guest's declared memory: per-page and per-folio state in flat arrays.
///
/// A page's flat index is `block.base + (page - block.first)`. Per page, one
/// 12-byte `PageEntry`: the architecture's bits, the order of its folio and,
/// at a folio's head page, the folio's flags, extra references and first
/// holder. Holders live in a pool and exist only while a folio holds
/// something. 12 bytes per declared page.
///
/// A value type: copying it copies the arrays (copy-on-write), so an explorer
/// can keep and hash states of small scenarios.
public struct Memory: Sendable, Hashable {
  public struct Block: Sendable, Hashable {
    public var pages: PageRange
    public var base: Int
    public var backing: Backing
  }

  /// Folio flags.
  public struct FolioFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let writeback = FolioFlags(rawValue: 1)
    public static let locked = FolioFlags(rawValue: 2)
    public static let dirty = FolioFlags(rawValue: 4)
    /// PG_arch_1 of the folio (s390 `track=folio`).
    public static let archBit = FolioFlags(rawValue: 8)
  }

  /// The blocks, sorted by first page.
  public private(set) var blocks: [Block] = []
  /// The same blocks in declaration order, which is the order of their flat
  /// indices (`base`): for index-to-page lookups.
  private(set) var blocksByBase: [Block] = []
  /// The state of one page, and of its folio at the folio's head page, in
  /// one 12-byte entry: an event's page and folio state share a cache line
  /// (an array per field costs a cache miss each on a large guest).
  public struct PageEntry: Sendable, Hashable {
    /// Architecture-defined bits of the page.
    public var bits: UInt8
    /// The order of the folio the page belongs to.
    public var order: UInt8
    /// Folio flags (at the head page).
    public var flags: FolioFlags
    /// Bit 0: the folio's holder list is long and indexed (`longLists`).
    /// (The byte also keeps the entry free of padding.)
    var spare: UInt8 = 0
    /// Extra references of the folio (at the head page).
    public var extra: UInt32
    /// The folio's first holder record in `holders`, or -1 (at the head page).
    var holderHead: Int32 = -1
  }

  /// Per page, by flat index (see `PageEntry`).
  public var entries: [PageEntry] = []
  public internal(set) var holders: [Holder] = []
  var freeHolder: Int32 = -1
  /// The holder lists longer than `Memory.longList` records (a folio that
  /// thousands of actors reference): their records by actor and kind, and
  /// their tails, so that a hold or release is not a walk of the list. A
  /// folio is looked up here only when its entry's `spare` bit 0 says so:
  /// short lists, the common case, cost no hashing.
  var longLists: [Int: HolderIndex] = [:]
  static let longList = 16

  struct HolderIndex: Sendable, Hashable {
    var slots: [UInt64: Int32] = [:]
    var tail: Int32 = -1
  }

  @inline(__always)
  static func key(_ actor: Int32, _ kind: HolderKind) -> UInt64 {
    UInt64(UInt32(bitPattern: actor)) << 8 | UInt64(kind.rawValue)
  }
  /// LRU-batch references outstanding, over all folios.
  public internal(set) var lruReferences: UInt64 = 0
  /// Folios whose lock, writeback, references or order changed since the engine
  /// last looked (head page and page count), for waking waiters.
  public var changes: [PageRange] = []
  var lastBlock = 0

  public init() {}

  /// Adds a `memory` block (the reader has checked alignment and overlap).
  public mutating func declare(_ d: MemoryDeclaration, initialBits: UInt8) {
    let base = entries.count
    let n = Int(d.pages.count)
    let b = Block(pages: d.pages, base: base, backing: d.backing)
    // Binary search: an imported trace declares thousands of blocks in no order.
    var lo = 0
    var hi = blocks.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if blocks[mid].pages.first < d.pages.first { lo = mid + 1 } else { hi = mid }
    }
    blocks.insert(b, at: lo)
    blocksByBase.append(b)
    lastBlock = 0
    Memory.grow(&entries, by: n, with: PageEntry(bits: initialBits, order: UInt8(d.order), flags: [], extra: 0))
  }

  /// Appends `n` copies of `value` with one bulk fill (a generic `append(contentsOf:)`
  /// of a `repeatElement` goes element by element).
  static func grow<T>(_ array: inout [T], by n: Int, with value: T) {
    if array.isEmpty {
      array = Array(repeating: value, count: n)
    } else {
      // No reserveCapacity(count + n): an exact reservation per block would
      // copy the whole array on every one of many small declarations.
      array.append(contentsOf: Array(repeating: value, count: n))
    }
  }

  // MARK: - Addressing

  /// The block holding `page` (which the reader checked is declared).
  @inline(__always)
  public mutating func block(of page: UInt64) -> Block {
    let b = blocks[lastBlock]
    if page >= b.pages.first && page < b.pages.end { return b }
    var lo = 0
    var hi = blocks.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if blocks[mid].pages.end <= page { lo = mid + 1 } else { hi = mid }
    }
    precondition(lo < blocks.count && blocks[lo].pages.contains(page), "undeclared page \(hex(page))")
    lastBlock = lo
    return blocks[lo]
  }

  /// Whether a page is declared by some block.
  public func isDeclared(_ page: UInt64) -> Bool {
    blockIndex(of: page) != nil
  }

  /// The position in `blocks` of the block holding `page`, or nil. O(log blocks).
  @inlinable
  public func blockIndex(of page: UInt64) -> Int? {
    var lo = 0
    var hi = blocks.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if blocks[mid].pages.end <= page { lo = mid + 1 } else { hi = mid }
    }
    return lo < blocks.count && blocks[lo].pages.contains(page) ? lo : nil
  }

  /// The block holding flat index `index`. O(log blocks).
  func block(ofIndex index: Int) -> Block {
    var lo = 0
    var hi = blocksByBase.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if blocksByBase[mid].base + Int(blocksByBase[mid].pages.count) <= index { lo = mid + 1 } else { hi = mid }
    }
    return blocksByBase[lo]
  }

  /// The flat index of a page.
  @inline(__always)
  public mutating func index(of page: UInt64) -> Int {
    let b = block(of: page)
    return b.base + Int(page - b.pages.first)
  }

  /// The page number at a flat index (slow; for reports).
  public func page(at index: Int) -> UInt64 {
    let b = block(ofIndex: index)
    return b.pages.first + UInt64(index - b.base)
  }

  /// The folio holding `page`: its head page, its head's flat index, and its page count.
  @inline(__always)
  public mutating func folio(of page: UInt64) -> (head: UInt64, index: Int, count: Int) {
    folio(of: page, index: index(of: page))
  }

  /// The folio holding `page`, whose flat index the caller has (no block lookup).
  @inline(__always)
  public func folio(of page: UInt64, index i: Int) -> (head: UInt64, index: Int, count: Int) {
    let n = 1 << Int(entries[i].order)
    let offset = Int(page & UInt64(n - 1))
    return (page - UInt64(offset), i - offset, n)
  }

  public func backing(ofIndex index: Int) -> Backing {
    block(ofIndex: index).backing
  }

  // MARK: - References and holders

  /// Adds `n` markers of `kind` held by `actor` on the folio at head index `folio`.
  public mutating func hold(_ folio: Int, actor: Int32, kind: HolderKind, count n: UInt32, line: Int, head: UInt64) {
    let indexed = entries[folio].spare & 1 != 0
    var found: Int32 = -1
    var tail: Int32 = -1
    var length = 0
    if indexed {
      found = longLists[folio]!.slots[Memory.key(actor, kind)] ?? -1
      tail = longLists[folio]!.tail
    } else {
      var h = entries[folio].holderHead
      while h >= 0 {
        if holders[Int(h)].actor == actor && holders[Int(h)].kind == kind {
          found = h
          break
        }
        tail = h
        length += 1
        h = holders[Int(h)].next
      }
    }
    if found >= 0 {
      holders[Int(found)].count += n
    } else {
      let record = Holder(folio: folio, actor: actor, kind: kind, count: n, line: line, next: -1, previous: tail)
      var slot: Int32
      if freeHolder >= 0 {
        slot = freeHolder
        freeHolder = holders[Int(slot)].next
        holders[Int(slot)] = record
      } else {
        slot = Int32(holders.count)
        holders.append(record)
      }
      // Append at the tail so the list stays in acquisition order.
      if tail < 0 { entries[folio].holderHead = slot } else { holders[Int(tail)].next = slot }
      if indexed {
        longLists[folio]!.slots[Memory.key(actor, kind)] = slot
        longLists[folio]!.tail = slot
      } else if length + 1 > Memory.longList {
        indexHolders(folio)
      }
    }
    if kind.isReference {
      entries[folio].extra += n
      if kind == .lru { lruReferences += UInt64(n) }
    }
    changes.append(PageRange(first: head, count: UInt64(1) << UInt64(entries[folio].order)))
  }

  /// Builds the index of a folio's long holder list.
  mutating func indexHolders(_ folio: Int) {
    var index = HolderIndex()
    var h = entries[folio].holderHead
    while h >= 0 {
      index.slots[Memory.key(holders[Int(h)].actor, holders[Int(h)].kind)] = h
      index.tail = h
      h = holders[Int(h)].next
    }
    longLists[folio] = index
    entries[folio].spare |= 1
  }

  /// Takes record `h` out of its folio's list and into the free pool.
  mutating func unlink(_ h: Int32, folio: Int) {
    let r = holders[Int(h)]
    if r.previous < 0 { entries[folio].holderHead = r.next } else { holders[Int(r.previous)].next = r.next }
    if r.next >= 0 { holders[Int(r.next)].previous = r.previous }
    if entries[folio].spare & 1 != 0 {
      longLists[folio]!.slots[Memory.key(r.actor, r.kind)] = nil
      if longLists[folio]!.tail == h { longLists[folio]!.tail = r.previous }
      if entries[folio].holderHead < 0 {
        longLists[folio] = nil
        entries[folio].spare &= ~1
      }
    }
    holders[Int(h)].next = freeHolder
    holders[Int(h)].previous = -1
    holders[Int(h)].count = 0
    freeHolder = h
  }

  /// Drops up to `n` markers of one of `kinds` held by `actor` (oldest record
  /// first). Returns how many were dropped.
  @discardableResult
  public mutating func release(_ folio: Int, actor: Int32?, kinds: [HolderKind], count n: UInt32, head: UInt64) -> UInt32 {
    release(folio, actor: actor, kinds: HolderKinds(kinds), count: n, head: head)
  }

  /// `release` with the kinds as a set of bits.
  @discardableResult
  public mutating func release(_ folio: Int, actor: Int32?, kinds: HolderKinds, count n: UInt32, head: UInt64) -> UInt32 {
    var remaining = n
    if let actor, entries[folio].spare & 1 != 0 {
      // A long list: the actor's records of each kind, by the index (kinds in
      // `HolderKind` order, as a walk of the list finds one actor's records
      // only in that order when each kind has one record).
      for kind in HolderKind.allCases where kinds.contains(kind) && remaining > 0 {
        guard entries[folio].spare & 1 != 0, let h = longLists[folio]!.slots[Memory.key(actor, kind)] else { continue }
        remaining -= take(h, folio: folio, upTo: remaining)
      }
    } else {
      var h = entries[folio].holderHead
      while h >= 0 && remaining > 0 {
        let r = holders[Int(h)]
        let next = r.next
        if (actor == nil || r.actor == actor!) && kinds.contains(r.kind) {
          remaining -= take(h, folio: folio, upTo: remaining)
        }
        h = next
      }
    }
    if remaining < n {
      changes.append(PageRange(first: head, count: UInt64(1) << UInt64(entries[folio].order)))
    }
    return n - remaining
  }

  /// Takes up to `n` markers from record `h`; unlinks it when empty.
  mutating func take(_ h: Int32, folio: Int, upTo n: UInt32) -> UInt32 {
    let r = holders[Int(h)]
    let take = min(r.count, n)
    holders[Int(h)].count -= take
    if r.kind.isReference {
      entries[folio].extra -= take
      if r.kind == .lru { lruReferences -= UInt64(take) }
    }
    if holders[Int(h)].count == 0 { unlink(h, folio: folio) }
    return take
  }

  /// How many markers of `kinds` `actor` holds on the folio.
  public func held(_ folio: Int, actor: Int32, kinds: [HolderKind]) -> UInt32 {
    held(folio, actor: actor, kinds: HolderKinds(kinds))
  }

  /// `held` with the kinds as a set of bits.
  public func held(_ folio: Int, actor: Int32, kinds: HolderKinds) -> UInt32 {
    var total: UInt32 = 0
    if entries[folio].spare & 1 != 0 {
      let index = longLists[folio]!
      for kind in HolderKind.allCases where kinds.contains(kind) {
        if let h = index.slots[Memory.key(actor, kind)] { total += holders[Int(h)].count }
      }
      return total
    }
    var h = entries[folio].holderHead
    while h >= 0 {
      let r = holders[Int(h)]
      if r.actor == actor && kinds.contains(r.kind) { total += r.count }
      h = r.next
    }
    return total
  }

  /// Whether `actor` holds any marker (reference, pin, lock, writeback) on the folio.
  public func holdsMarker(_ folio: Int, actor: Int32) -> Bool {
    if entries[folio].spare & 1 != 0 {
      let index = longLists[folio]!
      return HolderKind.allCases.contains { index.slots[Memory.key(actor, $0)] != nil }
    }
    var h = entries[folio].holderHead
    while h >= 0 {
      if holders[Int(h)].actor == actor { return true }
      h = holders[Int(h)].next
    }
    return false
  }

  /// Whether the folio holds any marker at all.
  public func hasMarker(_ folio: Int) -> Bool {
    entries[folio].extra > 0 || !entries[folio].flags.intersection([.writeback, .locked]).isEmpty
  }

  /// The holder records of a folio, in acquisition order.
  public func holders(of folio: Int) -> [Holder] {
    var all: [Holder] = []
    var h = entries[folio].holderHead
    while h >= 0 {
      all.append(holders[Int(h)])
      h = holders[Int(h)].next
    }
    return all
  }

  /// Drops every LRU-batch reference (`lru_add_drain_all()`), or only those
  /// of `actor`: the batch of the CPU it runs on (`lru_add_drain()`).
  public mutating func drainLRU(of actor: Int32? = nil) {
    guard lruReferences > 0 else { return }
    var i = 0
    while i < holders.count {
      let r = holders[i]
      if r.kind == .lru && r.count > 0 && (actor == nil || r.actor == actor!) {
        let head = page(at: r.folio)
        release(r.folio, actor: r.actor, kinds: HolderKinds.lru, count: r.count, head: head)
      }
      i += 1
    }
  }

  // MARK: - Folio structure

  /// Splits the folio at head index `folio` into order-0 folios, copying its
  /// flags (PG_arch_1, dirty) to every new folio. The caller checked it holds nothing.
  public mutating func split(_ folio: Int, head: UInt64) {
    let n = 1 << Int(entries[folio].order)
    let flags = entries[folio].flags
    for i in folio..<(folio + n) {
      entries[i].order = 0
      entries[i].flags = flags
    }
    changes.append(PageRange(first: head, count: UInt64(n)))
  }

  /// Notes a change of a folio's lock or writeback flag.
  public mutating func noteChange(head: UInt64, folio: Int) {
    changes.append(PageRange(first: head, count: UInt64(1) << UInt64(entries[folio].order)))
  }
}
