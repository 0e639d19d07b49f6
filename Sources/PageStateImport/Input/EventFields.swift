/// The `key=value` fields of one event line, found once and looked up by
/// key: up to 32 fields, kept as byte ranges in storage allocated once (no
/// allocation, no copy-on-write check per line).
final class EventFields {
  static let capacity = 32
  /// Per field: where its key starts and ends, and where its value ends
  /// (the value starts after the '=').
  let keyStart = UnsafeMutablePointer<Int>.allocate(capacity: EventFields.capacity)
  let keyEnd = UnsafeMutablePointer<Int>.allocate(capacity: EventFields.capacity)
  let valueEnd = UnsafeMutablePointer<Int>.allocate(capacity: EventFields.capacity)
  @exclusivity(unchecked) var count = 0
  /// The body `scan` will split at the first lookup (events that need no
  /// field, such as an LRU batch's long folio array, are never split).
  @exclusivity(unchecked) var pending: Range<Int>?

  init() {}

  deinit {
    keyStart.deallocate()
    keyEnd.deallocate()
    valueEnd.deallocate()
  }

  /// The fields of a new line: `body` is split at the first lookup.
  @inline(__always)
  func reset(_ body: Range<Int>) {
    count = 0
    pending = body
  }

  /// Splits `body` at spaces; every token with a '=' after a name is a field.
  func scan(_ p: UnsafeBufferPointer<UInt8>, _ body: Range<Int>) {
    pending = nil
    count = 0
    var i = body.lowerBound
    let n = body.upperBound
    while i < n && count < EventFields.capacity {
      while i < n && Bytes.isSpace(p[i]) { i += 1 }
      let s = i
      while i < n && Bytes.isNameByte(p[i]) { i += 1 }
      if i > s && i < n && p[i] == 0x3D {
        let ke = i
        i += 1
        if i < n && p[i] == 0x7B {  // "{...}" may not hold spaces, but be safe
          while i < n && p[i] != 0x7D { i += 1 }
          if i < n { i += 1 }
        } else if n - i >= 6 && p[i] == 0x41 && p[i + 5] == 0x5B {  // trace-cmd -R: "ARRAY[00, e8, ...]"
          while i < n && p[i] != 0x5D { i += 1 }
          if i < n { i += 1 }
        } else {
          while i < n && !Bytes.isSpace(p[i]) { i += 1 }
        }
        keyStart[count] = s
        keyEnd[count] = ke
        valueEnd[count] = i
        count += 1
      } else {
        while i < n && !Bytes.isSpace(p[i]) { i += 1 }
      }
    }
  }

  /// The value of field `key`, or nil.
  func value(_ p: UnsafeBufferPointer<UInt8>, _ key: StaticString) -> Range<Int>? {
    if let body = pending { scan(p, body) }
    let kn = key.utf8CodeUnitCount
    let kp = key.utf8Start
    var f = 0
    while f < count {
      let s = keyStart[f]
      if keyEnd[f] - s == kn {
        var same = true
        var j = 0
        while j < kn {
          if p[s + j] != kp[j] {
            same = false
            break
          }
          j += 1
        }
        if same { return (keyEnd[f] + 1)..<valueEnd[f] }
      }
      f += 1
    }
    return nil
  }

  /// A numeric field: `0x...` hexadecimal, a decimal, or a negative decimal
  /// (as its two's complement). Nil if absent or not a number.
  func number(_ p: UnsafeBufferPointer<UInt8>, _ key: StaticString) -> UInt64? {
    guard let r = value(p, key) else { return nil }
    return EventFields.number(p, r)
  }

  static func number(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64? {
    var i = r.lowerBound
    let n = r.upperBound
    guard i < n else { return nil }
    var negative = false
    if p[i] == 0x2D {
      negative = true
      i += 1
    }
    var v: UInt64 = 0
    if i + 1 < n && p[i] == 0x30 && (p[i + 1] | 0x20) == 0x78 {
      i += 2
      guard i < n, n - i <= 16 else { return nil }
      while i < n {
        let b = p[i]
        let d: UInt8
        if Bytes.isDigit(b) {
          d = b - 0x30
        } else if (b | 0x20) &- 0x61 < 6 {
          d = (b | 0x20) - 0x61 + 10
        } else {
          return nil
        }
        v = v << 4 | UInt64(d)
        i += 1
      }
    } else {
      guard i < n, n - i <= 20 else { return nil }
      while i < n {
        guard Bytes.isDigit(p[i]) else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(p[i] - 0x30))
        if o1 || o2 { return nil }
        v = a
        i += 1
      }
    }
    return negative ? 0 &- v : v
  }

  /// The numbers of an array field `{a,b,...}`, or of the bytes
  /// `ARRAY[00, e8, ...]` that `trace-cmd report -R` prints for it (read
  /// as little-endian 64-bit words), at most `limit`.
  func array(_ p: UnsafeBufferPointer<UInt8>, _ key: StaticString, limit: Int = 64) -> [UInt64]? {
    guard let r = value(p, key), r.count >= 2 else { return nil }
    if r.count >= 7 && p[r.lowerBound] == 0x41 && p[r.lowerBound + 5] == 0x5B {
      return EventFields.byteArray(p, (r.lowerBound + 6)..<r.upperBound, limit: limit)
    }
    guard p[r.lowerBound] == 0x7B else { return nil }
    var out: [UInt64] = []
    var s = r.lowerBound + 1
    var i = s
    let end = p[r.upperBound - 1] == 0x7D ? r.upperBound - 1 : r.upperBound
    while i <= end && out.count < limit {
      if i == end || p[i] == 0x2C {
        if i > s {
          guard let v = EventFields.number(p, s..<i) else { return nil }
          out.append(v)
        }
        s = i + 1
      }
      i += 1
    }
    return out
  }

  /// `00, e8, 07, 00, 00, 00, d4, ff, ...]`: bytes in hexadecimal, eight to a little-endian word.
  static func byteArray(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, limit: Int) -> [UInt64]? {
    var out: [UInt64] = []
    var word: UInt64 = 0
    var k = 0
    var i = r.lowerBound
    while i < r.upperBound && out.count < limit {
      let b = p[i]
      if b == 0x2C || b == 0x20 || b == 0x5D {
        i += 1
        continue
      }
      var v: UInt64 = 0
      var digits = 0
      while i < r.upperBound && Bytes.isHexDigit(p[i]) {
        let c = p[i]
        v = v << 4 | UInt64(c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10)
        digits += 1
        i += 1
      }
      guard digits > 0 && digits <= 2 else { return nil }
      word |= v << (8 * UInt64(k))
      k += 1
      if k == 8 {
        out.append(word)
        word = 0
        k = 0
      }
    }
    return out
  }
}
