/// The tokens of the line being parsed, in storage reused from line to line.
///
/// An `Array` would check uniqueness and capacity on every append and run a
/// generic `removeAll` per line; the reader tokenizes millions of lines, so
/// this keeps a plain buffer that only grows (at most one token per two bytes
/// of the longest line). Copies of a `TokenList` share the buffer: it belongs
/// to one reader and is used by one thread at a time.
struct TokenList: RandomAccessCollection {
  private final class Storage {
    var base: UnsafeMutablePointer<Token>
    var capacity: Int
    init(capacity: Int) {
      base = .allocate(capacity: capacity)
      self.capacity = capacity
    }
    deinit { base.deallocate() }
  }

  private let storage: Storage
  /// `storage.base`, kept here so reading a token touches no class property.
  private var base: UnsafeMutablePointer<Token>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int = 32) {
    storage = Storage(capacity: capacity)
    base = storage.base
    self.capacity = capacity
  }

  var startIndex: Int { 0 }
  var endIndex: Int { count }

  subscript(_ i: Int) -> Token {
    precondition(i >= 0 && i < count, "token index out of range")
    return base[i]
  }

  mutating func removeAll() { count = 0 }

  @inline(__always)
  mutating func append(_ t: Token) {
    if count == capacity { grow() }
    base[count] = t
    count += 1
  }

  private mutating func grow() {
    let bigger = UnsafeMutablePointer<Token>.allocate(capacity: capacity * 2)
    bigger.update(from: base, count: count)
    storage.base.deallocate()
    storage.base = bigger
    storage.capacity = capacity * 2
    base = bigger
    capacity *= 2
  }
}
