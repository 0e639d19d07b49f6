/// A byte buffer that trace lines are formatted into, handed to a sink in
/// 1 MiB pieces. Numbers are formatted by hand: `generate` writes tens of
/// millions of events per second and `import` millions of lines per second
/// through it.
public final class TraceOutput {
  @usableFromInline static let capacity = 1 << 20
  @usableFromInline let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: TraceOutput.capacity + 4096)
  // One writer at a time, by contract: no dynamic exclusivity checks on the
  // hot counters (they cost more than the formatting).
  @exclusivity(unchecked) @usableFromInline var count = 0
  let sink: (UnsafeRawBufferPointer) -> Void
  @exclusivity(unchecked) @usableFromInline var eventCount = 0
  /// Event lines written so far.
  public var events: Int { eventCount }

  /// `sink` receives the bytes in order; it is called from `flush()` and when the buffer fills.
  public init(sink: @escaping (UnsafeRawBufferPointer) -> Void) {
    self.sink = sink
  }

  deinit {
    flush()
    buffer.deallocate()
  }

  public func flush() {
    if count > 0 { sink(UnsafeRawBufferPointer(start: buffer, count: count)) }
    count = 0
  }

  @inlinable @inline(__always)
  public func byte(_ b: UInt8) {
    buffer[count] = b
    count += 1
  }

  @inlinable @inline(__always)
  public func text(_ s: StaticString) {
    let n = s.utf8CodeUnitCount
    (buffer + count).update(from: s.utf8Start, count: n)
    count += n
  }

  /// Text of any length: flushes as it goes, so a long string never overruns the buffer.
  /// (Not `text(_:)`: a literal would pick this overload over `StaticString`'s.)
  public func string(_ s: String) {
    for b in s.utf8 {
      byte(b)
      if count >= TraceOutput.capacity { flush() }
    }
  }

  /// Bytes of any length (flushes as it goes).
  public func bytes(_ p: UnsafeBufferPointer<UInt8>) {
    var i = 0
    while i < p.count {
      let n = min(p.count - i, TraceOutput.capacity + 4096 - count)
      (buffer + count).update(from: p.baseAddress! + i, count: n)
      count += n
      i += n
      if count >= TraceOutput.capacity { flush() }
    }
  }

  /// `0x` and lower-case hex digits.
  @inlinable @inline(__always)
  public func hex(_ value: UInt64) {
    byte(0x30)
    byte(0x78)
    if value == 0 {
      byte(0x30)
      return
    }
    let digits = (67 - value.leadingZeroBitCount) / 4
    var shift = (digits - 1) * 4
    while shift >= 0 {
      let d = UInt8((value >> UInt64(shift)) & 0xF)
      byte(d < 10 ? 0x30 + d : 0x57 + d)
      shift -= 4
    }
  }

  @inlinable
  public func decimal(_ value: UInt64) {
    if value >= 10 { decimal(value / 10) }
    byte(0x30 + UInt8(value % 10))
  }

  /// Starts an event line: `ACTOR: VERB `.
  @inlinable @inline(__always)
  public func event(_ actor: StaticString, _ verb: StaticString) {
    text(actor)
    text(": ")
    text(verb)
    byte(0x20)
    countEvent()
  }

  /// Counts an event line written by hand.
  @inlinable @inline(__always)
  public func countEvent() { eventCount += 1 }

  /// Ends a line, flushing when the buffer is nearly full.
  @inlinable @inline(__always)
  public func end() {
    byte(0x0A)
    if count >= TraceOutput.capacity { flush() }
  }

  /// A whole line of text (header, comments).
  public func line(_ s: String) {
    string(s)
    end()
  }
}
