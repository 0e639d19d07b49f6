import PageStateTrace

extension Memory {
  /// Reads the state a coming event on `page` will touch, so that the cache
  /// misses of several events overlap instead of stalling one at a time.
  ///
  /// A replay of a large guest touches pages at random: each event's first
  /// access to its page's state misses the caches and waits for memory. The
  /// engine calls this for the next few events of a batch at once; the loads
  /// are independent, so the processor has them in flight together. Returns a
  /// value derived from the loads so the compiler keeps them. O(1) per page.
  @inlinable
  public func warm(_ page: UInt64, hint: inout Int) -> UInt32 {
    var b = hint < blocks.count ? blocks[hint] : blocks[0]
    if !(page >= b.pages.first && page < b.pages.end) {
      guard let k = blockIndex(of: page) else { return 0 }
      hint = k
      b = blocks[k]
    }
    let i = b.base + Int(page - b.pages.first)
    return UInt32(entries[i].bits)  // one line holds all of the page's state
  }
}
