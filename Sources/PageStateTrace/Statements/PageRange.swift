/// A set of consecutive guest frame numbers (4 KiB pages): `P`, `P..Q` or `P+N`.
public struct PageRange: Hashable, Sendable, CustomStringConvertible {
  /// The first page.
  public var first: UInt64
  /// How many pages (at least 1).
  public var count: UInt64

  public init(first: UInt64, count: UInt64) {
    self.first = first
    self.count = count
  }

  /// One past the last page.
  public var end: UInt64 { first + count }
  /// The last page (the first, for an empty range).
  public var last: UInt64 { count == 0 ? first : first + count - 1 }

  public func contains(_ page: UInt64) -> Bool { page >= first && page < end }
  public func overlaps(_ other: PageRange) -> Bool { first < other.end && other.first < end }

  /// The trace-language spelling: `0x10`, or `0x10..0x13`.
  public var description: String {
    count == 0 ? "" : count == 1 ? hex(first) : "\(hex(first))..\(hex(last))"
  }
}

/// `0x` followed by lower-case hex digits: how pages are spelled in reports and traces.
@inlinable
public func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
