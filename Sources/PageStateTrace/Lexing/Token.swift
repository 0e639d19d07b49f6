/// A token of a line: bytes `start..<end` of the line buffer (0-based).
struct Token {
  var start: Int
  var end: Int
  var column: Int { start + 1 }
  var length: Int { end - start }
}

/// Lexical helpers over the bytes of one line.
struct LineBytes {
  let bytes: UnsafeBufferPointer<UInt8>

  subscript(_ i: Int) -> UInt8 { bytes[i] }

  func text(_ t: Token) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: bytes[t.start..<t.end]), as: UTF8.self)
  }

  func slice(_ t: Token) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(rebasing: bytes[t.start..<t.end])
  }

  func equals(_ t: Token, _ word: StaticString) -> Bool {
    guard t.length == word.utf8CodeUnitCount else { return false }
    let w = word.utf8Start
    for i in 0..<t.length where bytes[t.start + i] != w[i] { return false }
    return true
  }

  func equals(_ t: Token, _ word: [UInt8]) -> Bool {
    guard t.length == word.count else { return false }
    for i in 0..<t.length where bytes[t.start + i] != word[i] { return false }
    return true
  }

  /// A name of up to 16 bytes as (first 8 bytes, next 8 bytes, length):
  /// how verbs and interned names are compared without their bytes.
  @inline(__always)
  static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64, Int) {
    guard let p = bytes.baseAddress else { return (0, 0, 0) }
    let n = bytes.count
    var a: UInt64 = 0
    var b: UInt64 = 0
    var i = 0
    while i < n && i < 8 {
      a |= UInt64(p[i]) << (8 * UInt64(i))
      i += 1
    }
    while i < n && i < 16 {
      b |= UInt64(p[i]) << (8 * UInt64(i - 8))
      i += 1
    }
    return (a, b, n)
  }

  /// Bit 7 set in the lowest byte of `w` (little-endian) below 0x24, the
  /// bytes that end a token (blank, newline, CR, '#', '"', '!', control
  /// bytes); other bits may be set above it, so only the lowest one counts.
  @inline(__always)
  static func delimiterBits(_ w: UInt64) -> UInt64 {
    (w &- 0x2424_2424_2424_2424) & ~w & 0x8080_8080_8080_8080
  }

  /// Bit 7 set in the lowest byte of `w` equal to `byte` (only the lowest
  /// set bit counts, as in `delimiterBits`).
  @inline(__always)
  static func bits(of byte: UInt8, in w: UInt64) -> UInt64 {
    let x = w ^ (UInt64(byte) &* 0x0101_0101_0101_0101)
    return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
  }

  /// The lowest `n` bytes of `w` (0-8), the rest zero.
  @inline(__always)
  static func low(_ w: UInt64, bytes n: Int) -> UInt64 {
    n >= 8 ? w : w & ((1 &<< (8 &* UInt64(n))) &- 1)
  }

  /// The leading hexadecimal digits of eight bytes (little-endian, first
  /// byte first) and their value, without a loop: the digits (0-8) are
  /// found by range tests on every byte at once, and their nibbles gathered
  /// by three shift-and-mask steps. The value is only meaningful for fewer
  /// than eight digits.
  @inline(__always)
  static func hexDigits(_ w: UInt64) -> (value: UInt64, count: Int) {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let high: UInt64 = 0x8080_8080_8080_8080
    // Bytes with bit 7 clear, as 7-bit values (so that adding stays in the byte).
    let x = w & 0x7F7F_7F7F_7F7F_7F7F
    let lower = x | 0x2020_2020_2020_2020
    let digit = (x &+ 0x50 &* ones) & ~(x &+ 0x46 &* ones)  // 0x30...0x39
    let letter = (lower &+ 0x1F &* ones) & ~(lower &+ 0x19 &* ones)  // a...f, A...F
    let isHex = (digit | letter) & ~w & high
    let count = (~isHex & high).trailingZeroBitCount >> 3
    guard count > 0 && count < 8 else { return (0, count) }
    var v = (lower & 0x0F0F_0F0F_0F0F_0F0F) &+ 9 &* ((lower >> 6) & ones)
    v = v.byteSwapped >> (8 &* UInt64(8 - count))  // the last digit in the lowest byte
    v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF
    v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF
    v = (v | (v >> 16)) & 0xFFFF_FFFF
    return (v, count)
  }

  /// A token of `length` (0-16) bytes whose first 16 bytes are `a` and `b`,
  /// packed as `pack` packs it.
  @inline(__always)
  static func key(_ a: UInt64, _ b: UInt64, length: Int) -> (UInt64, UInt64, Int) {
    length <= 8 ? (low(a, bytes: length), 0, length) : (a, low(b, bytes: length - 8), length)
  }

  /// `id` and `via` packed as `pack` packs them.
  static let packedID: UInt64 = 0x6469
  static let packedVia: UInt64 = 0x61_6976

  /// A token of at most 16 bytes packed as `pack` packs it: whole
  /// 8-byte loads where the line has the bytes, masked to the token.
  @inline(__always)
  func packed(_ t: Token) -> (UInt64, UInt64, Int) {
    let n = t.length
    guard n > 0, let p = bytes.baseAddress else { return (0, 0, 0) }
    if t.start + 16 <= bytes.count {
      let raw = UnsafeRawPointer(p + t.start)
      let a = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
      let b = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
      if n >= 16 { return (a, b, n) }
      if n >= 8 { return (a, n == 8 ? 0 : b & (~0 >> (64 - 8 * UInt64(n - 8))), n) }
      return (a & (~0 >> (64 - 8 * UInt64(n))), 0, n)
    }
    return LineBytes.pack(slice(t))
  }

  /// Splits on spaces and tabs, stopping at `#`. Reuses `tokens`' storage.
  func tokenize(into tokens: inout TokenList) {
    tokens.removeAll()
    guard let p = bytes.baseAddress else { return }
    let n = bytes.count
    var i = 0
    while i < n {
      let b = p[i]
      if b == 0x20 || b == 0x09 {
        i += 1
        continue
      }
      if b == 0x23 { break }  // '#'
      let s = i
      i += 1
      while i < n {
        let c = p[i]
        // Every separator is at most '#' (0x23): one comparison for most bytes.
        if c <= 0x23 && (c == 0x20 || c == 0x09 || c == 0x23) { break }
        i += 1
      }
      tokens.append(Token(start: s, end: i))
    }
  }

  /// The index of the first `=` in the token, if any.
  func equalsSign(in t: Token) -> Int? {
    var i = t.start
    while i < t.end {
      if bytes[i] == 0x3D { return i }
      i += 1
    }
    return nil
  }

  /// Whether the bytes form an identifier `[A-Za-z_][A-Za-z0-9_.-]*`.
  func isIdentifier(_ t: Token) -> Bool {
    guard t.length > 0 else { return false }
    let f = bytes[t.start]
    guard isLetter(f) || f == 0x5F else { return false }
    var i = t.start + 1
    while i < t.end {
      let c = bytes[i]
      if !(isLetter(c) || isDigit(c) || c == 0x5F || c == 0x2E || c == 0x2D) { return false }
      i += 1
    }
    return true
  }

  /// Parses a decimal or `0x` hexadecimal number; nil if malformed or over `limit`.
  func number(_ t: Token, limit: UInt64 = .max) -> UInt64? {
    number(from: t.start, to: t.end, limit: limit)
  }

  func number(from s: Int, to e: Int, limit: UInt64 = .max) -> UInt64? {
    guard s < e else { return nil }
    var value: UInt64 = 0
    let isHex = e - s > 2 && bytes[s] == 0x30 && (bytes[s + 1] | 0x20) == 0x78
    // Up to 15 hex or 19 decimal digits cannot overflow 64 bits: compare with
    // the limit once at the end instead of dividing per digit.
    if isHex ? e - s - 2 <= 15 : e - s <= 19 {
      var i = isHex ? s + 2 : s
      if isHex {
        while i < e {
          let c = bytes[i]
          let d: UInt64
          if isDigit(c) {
            d = UInt64(c &- 0x30)
          } else if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 {
            d = UInt64((c | 0x20) &- 0x61 &+ 10)
          } else {
            return nil
          }
          value = value &<< 4 | d
          i += 1
        }
      } else {
        while i < e {
          let c = bytes[i]
          guard isDigit(c) else { return nil }
          value = value &* 10 &+ UInt64(c &- 0x30)
          i += 1
        }
      }
      return value <= limit ? value : nil
    }
    if isHex {
      var i = s + 2
      while i < e {
        let c = bytes[i]
        let d: UInt64
        if isDigit(c) {
          d = UInt64(c - 0x30)
        } else if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 {
          d = UInt64((c | 0x20) - 0x61 + 10)
        } else {
          return nil
        }
        if value > (limit - d) / 16 { return nil }
        value = value * 16 + d
        i += 1
      }
      return value
    }
    var i = s
    while i < e {
      let c = bytes[i]
      guard isDigit(c) else { return nil }
      let d = UInt64(c - 0x30)
      if value > (limit - d) / 10 { return nil }
      value = value * 10 + d
      i += 1
    }
    return value
  }

  /// Whether the bytes look like a decimal or `0x` hexadecimal numeral (of any size).
  func isNumeral(from s: Int, to e: Int) -> Bool {
    guard s < e else { return false }
    if e - s > 2 && bytes[s] == 0x30 && (bytes[s + 1] | 0x20) == 0x78 {
      return (s + 2..<e).allSatisfy { i in isDigit(bytes[i]) || ((bytes[i] | 0x20) >= 0x61 && (bytes[i] | 0x20) <= 0x66) }
    }
    return (s..<e).allSatisfy { isDigit(bytes[$0]) }
  }

  /// Parses `150ms`, `3us`, `2s`, `10ns`, or (if `bareIsNanoseconds`) a bare number.
  /// Returns nanoseconds; nil if malformed or too large.
  func duration(_ t: Token, bareIsNanoseconds: Bool) -> UInt64? {
    if t.length > 2 && bytes[t.start] == 0x30 && bytes[t.start + 1] | 0x20 == 0x78 {
      return bareIsNanoseconds ? number(t) : nil  // hexadecimal: a bare number of nanoseconds
    }
    var i = t.start
    while i < t.end && isDigit(bytes[i]) { i += 1 }
    if i == t.end {
      return bareIsNanoseconds ? number(t) : nil
    }
    guard i > t.start, let value = number(from: t.start, to: i) else { return nil }
    let unitLength = t.end - i
    let multiplier: UInt64
    if unitLength == 1 && bytes[i] == 0x73 {
      multiplier = 1_000_000_000
    } else if unitLength == 2 && bytes[i + 1] == 0x73 {
      switch bytes[i] {
      case 0x6E: multiplier = 1
      case 0x75: multiplier = 1_000
      case 0x6D: multiplier = 1_000_000
      default: return nil
      }
    } else {
      return nil
    }
    let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : product
  }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
@inline(__always) func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
