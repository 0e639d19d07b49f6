/// A byte buffer that trace lines are formatted into, handed to a sink in
/// 1 MiB pieces. Numbers are formatted by hand: the generator must write
/// tens of millions of events per second.
public final class TraceOutput {
  static let capacity = 1 << 20
  let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: TraceOutput.capacity + 4096)
  var count = 0
  let sink: (UnsafeRawBufferPointer) -> Void
  /// Event lines written so far.
  public private(set) var events = 0

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

  @inline(__always)
  func byte(_ b: UInt8) {
    buffer[count] = b
    count += 1
  }

  @inline(__always)
  func text(_ s: StaticString) {
    let n = s.utf8CodeUnitCount
    (buffer + count).update(from: s.utf8Start, count: n)
    count += n
  }

  func text(_ s: String) {
    for b in s.utf8 { byte(b) }
  }

  /// `0x` and lower-case hex digits.
  @inline(__always)
  func hex(_ value: UInt64) {
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

  func decimal(_ value: UInt64) {
    if value >= 10 { decimal(value / 10) }
    byte(0x30 + UInt8(value % 10))
  }

  /// Starts an event line: `ACTOR: VERB `.
  @inline(__always)
  func event(_ actor: StaticString, _ verb: StaticString) {
    text(actor)
    text(": ")
    text(verb)
    byte(0x20)
    events += 1
  }

  /// Ends a line, flushing when the buffer is nearly full.
  @inline(__always)
  func end() {
    byte(0x0A)
    if count >= TraceOutput.capacity { flush() }
  }

  /// A whole line of text (header, comments).
  func line(_ s: String) {
    text(s)
    end()
  }
}
