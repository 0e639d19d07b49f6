#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension ByteSource {
  /// What `forEachLine` hands its body: the bytes of one line (without its
  /// `\n` and a trailing `\r`), valid only during the call.
  public struct Line {
    public let bytes: UnsafeBufferPointer<UInt8>
    /// 1-based line number.
    public let number: Int
    /// The line was longer than the limit: `bytes` holds its first `limit`
    /// bytes, the rest was skipped.
    public let isTruncated: Bool
  }

  /// Calls `body` for every line, in order, streaming: memory stays at one
  /// chunk plus `limit` bytes whatever the input, and a line longer than
  /// `limit` is handed over cut at `limit` (the rest is skipped, never
  /// buffered). Returns nil at the end of the input, or the message of a
  /// read error.
  public func forEachLine<E: Error>(limit: Int, _ body: (Line) throws(E) -> Void) throws(E) -> String? {
    var number = 0
    var skipping = false  // inside the part of an overlong line that is dropped
    while true {
      // Every complete line in the buffer.
      var s = start
      let e = end
      var failure: E?
      buffer.withUnsafeBufferPointer { all in
        let base = all.baseAddress!
        while s < e {
          guard let hit = memchr(base + s, 0x0A, e - s) else { break }
          let nl = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
          if skipping {
            skipping = false
            s = nl + 1
            continue
          }
          number += 1
          var stop = nl
          if stop > s && base[stop - 1] == 0x0D { stop -= 1 }
          let truncated = stop - s > limit
          if truncated { stop = s + limit }
          do throws(E) {
            try body(Line(bytes: UnsafeBufferPointer(start: base + s, count: stop - s), number: number, isTruncated: truncated))
          } catch {
            failure = error
            return
          }
          s = nl + 1
        }
      }
      start = s
      if let failure { throw failure }
      // No newline in what is left: an overlong line is handed over now and
      // its rest skipped; otherwise read more.
      if !skipping && end - start > limit {
        number += 1
        try deliver(start..<start + limit, number: number, truncated: true, body)
        skipping = true
      }
      if skipping { start = end }
      let more: Bool
      do {
        more = try fill()
      } catch {
        return error.message
      }
      if !more {
        if start < end && !skipping {
          number += 1
          var stop = end
          let truncated = stop - start > limit
          if truncated { stop = start + limit }
          let first = start
          start = end
          if !truncated && stop > first && buffer[stop - 1] == 0x0D { stop -= 1 }
          try deliver(first..<stop, number: number, truncated: truncated, body)
        }
        return nil
      }
    }
  }

  func deliver<E: Error>(_ range: Range<Int>, number: Int, truncated: Bool, _ body: (Line) throws(E) -> Void) throws(E) {
    var failure: E?
    buffer.withUnsafeBufferPointer { all in
      do throws(E) {
        try body(Line(bytes: UnsafeBufferPointer(rebasing: all[range]), number: number, isTruncated: truncated))
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
  }
}
