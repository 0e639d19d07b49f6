#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The common part of one event line of a kernel trace, whatever the tool
/// that printed it: the task, the CPU, the time, the event, the probe site of
/// a kprobe, and where its fields start. Ranges are byte offsets into the
/// line; nothing is copied.
struct KernelTraceLine {
  /// The task's name (`comm`), without the padding.
  var comm: Range<Int> = 0..<0
  /// The thread id (the `PID` column of tracefs, `TID` of perf).
  var pid: Int64 = 0
  /// The thread group id, when the trace has the column (`record-tgid`).
  var tgid: Int64 = -1
  var cpu: Int64 = 0
  /// The flags column says hard or soft interrupt (or NMI) context.
  var inInterrupt = false
  /// The trace has a flags column at all.
  var hasFlags = false
  /// Nanoseconds.
  var time: UInt64 = 0
  /// The event's name, without its group (`grab_folio`, `mm_page_alloc`).
  var event: Range<Int> = 0..<0
  /// The group of a `perf script` event (`pst`, `kmem`), else empty.
  var group: Range<Int> = 0..<0
  /// A kprobe's site as printed in parentheses: `try_grab_folio+0x0/0x370`,
  /// `io_pin_pages+0xc8/0x240 <- pin_user_pages`, or addresses
  /// (`ffffffff8137bde4`) from trace-cmd and perf. Empty for tracepoints.
  var site: Range<Int> = 0..<0
  /// The fields after the event name (and the site).
  var body: Range<Int> = 0..<0

  /// The name of the probed function a site names, if it names one: the
  /// function of a kprobe, or the function after `<-` of a kretprobe.
  func siteSymbol(_ p: UnsafeBufferPointer<UInt8>) -> (symbol: Range<Int>, isReturn: Bool)? {
    guard !site.isEmpty else { return nil }
    var s = site.lowerBound
    var isReturn = false
    // A kretprobe: "caller+off/size <- function"
    var i = site.lowerBound
    while i + 1 < site.upperBound {
      if p[i] == 0x3C && p[i + 1] == 0x2D {  // "<-"
        isReturn = true
        s = i + 2
        while s < site.upperBound && p[s] == 0x20 { s += 1 }
        break
      }
      i += 1
    }
    var e = s
    while e < site.upperBound && p[e] != 0x2B && p[e] != 0x20 && p[e] != 0x29 { e += 1 }  // up to '+', ' ' or ')'
    guard e > s else { return nil }
    // Only hex digits: an address (trace-cmd, perf), not a name.
    var allHex = e - s >= 8
    for k in s..<e where !Bytes.isHexDigit(p[k]) { allHex = false }
    if allHex { return nil }
    return (s..<e, isReturn)
  }
}

/// Byte classes used by the line parsers.
enum Bytes {
  @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
  @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool {
    b &- 0x30 < 10 || (b | 0x20) &- 0x61 < 6
  }
  @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
  /// Whether the bytes at `r` of `p` are `other`'s.
  @inline(__always) static func equal(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ other: [UInt8]) -> Bool {
    guard r.count == other.count else { return false }
    return other.withUnsafeBufferPointer { o in
      r.isEmpty || memcmp(p.baseAddress! + r.lowerBound, o.baseAddress!, r.count) == 0
    }
  }
  /// Whether `needle` occurs in the bytes at `r` of `p`.
  static func contains(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ needle: StaticString) -> Bool {
    let m = needle.utf8CodeUnitCount
    guard m > 0, r.count >= m else { return false }
    let first = needle.utf8Start[0]
    var i = r.lowerBound
    while i + m <= r.upperBound {
      if p[i] == first && memcmp(p.baseAddress! + i, needle.utf8Start, m) == 0 { return true }
      i += 1
    }
    return false
  }
  @inline(__always) static func isNameByte(_ b: UInt8) -> Bool {
    (b | 0x20) &- 0x61 < 26 || b &- 0x30 < 10 || b == 0x5F
  }
}
