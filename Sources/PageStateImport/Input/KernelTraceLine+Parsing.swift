#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Parsing of the line layouts. Each parser returns nil for a line that is
/// not an event line of its format; `column` is then where it stopped making
/// sense (for `--strict`). Byte-level, no allocation.
extension KernelTraceLine {
  /// tracefs `trace`/`trace_pipe` and `trace-cmd report`:
  /// `TASK-PID [(TGID)] [CPU] [FLAGS] SECONDS: EVENT: FIELDS`, the task
  /// right-aligned in 16 columns and free to contain spaces and dashes.
  static func parseTaskPid(_ p: UnsafeBufferPointer<UInt8>, column: inout Int) -> KernelTraceLine? {
    let n = p.count
    var line = KernelTraceLine()
    var i = 0
    while i < n && Bytes.isSpace(p[i]) { i += 1 }
    let taskStart = i
    // The CPU column: the first " [digits]" after the task.
    guard let (cpuOpen, d, cpu) = cpuColumn(p, after: taskStart) else {
      column = taskStart + 1
      return nil
    }
    line.cpu = cpu
    // Back from the CPU column: an optional "(  TGID)", then "-PID".
    var e = cpuOpen
    while e > taskStart && Bytes.isSpace(p[e - 1]) { e -= 1 }
    if e > taskStart && p[e - 1] == 0x29 {  // ')'
      var o = e - 1
      while o > taskStart && p[o] != 0x28 { o -= 1 }
      guard o > taskStart else {
        column = e
        return nil
      }
      var t = o + 1
      while t < e - 1 && Bytes.isSpace(p[t]) { t += 1 }
      var tgid: Int64 = 0
      var any = false
      while t < e - 1 && Bytes.isDigit(p[t]) {
        tgid = tgid * 10 + Int64(p[t] - 0x30)
        t += 1
        any = true
      }
      if any { line.tgid = tgid }  // "(-------)" when unknown
      e = o
      while e > taskStart && Bytes.isSpace(p[e - 1]) { e -= 1 }
    }
    var pidStart = e
    while pidStart > taskStart && Bytes.isDigit(p[pidStart - 1]) { pidStart -= 1 }
    guard pidStart < e, pidStart > taskStart, p[pidStart - 1] == 0x2D else {
      column = taskStart + 1
      return nil
    }
    var pid: Int64 = 0
    for b in pidStart..<e { pid = pid * 10 + Int64(p[b] - 0x30) }
    line.pid = pid
    line.comm = taskStart..<(pidStart - 1)
    // After "]": an optional flags column, then the time.
    i = d + 1
    while i < n && Bytes.isSpace(p[i]) { i += 1 }
    var t = i
    while t < n && !Bytes.isSpace(p[t]) { t += 1 }
    if t > i && p[t - 1] != 0x3A {  // not "SECONDS:": the flags
      line.hasFlags = true
      if t - i >= 3 {
        let c = p[i + 2]
        line.inInterrupt = c == 0x68 || c == 0x48 || c == 0x73 || c == 0x7A  // h H s z
      }
      i = t
      while i < n && Bytes.isSpace(p[i]) { i += 1 }
    }
    guard let afterTime = parseSeconds(p, from: i, into: &line.time) else {
      column = i + 1
      return nil
    }
    return parseEvent(p, from: afterTime, line, column: &column, groups: false)
  }

  /// `perf script`: `COMM TID [CPU] SECONDS: GROUP:EVENT: FIELDS` (comm may hold spaces).
  static func parsePerf(_ p: UnsafeBufferPointer<UInt8>, column: inout Int) -> KernelTraceLine? {
    let n = p.count
    var line = KernelTraceLine()
    var i = 0
    while i < n && Bytes.isSpace(p[i]) { i += 1 }
    let commStart = i
    guard let (cpuOpen, d, cpu) = cpuColumn(p, after: commStart) else {
      column = commStart + 1
      return nil
    }
    line.cpu = cpu
    var e = cpuOpen
    while e > commStart && Bytes.isSpace(p[e - 1]) { e -= 1 }
    var tidStart = e
    while tidStart > commStart && Bytes.isDigit(p[tidStart - 1]) { tidStart -= 1 }
    // "COMM TID" or "COMM TID/TID"-less; the tid must follow a space.
    guard tidStart < e, tidStart > commStart, Bytes.isSpace(p[tidStart - 1]) else {
      column = commStart + 1
      return nil
    }
    for b in tidStart..<e { line.pid = line.pid * 10 + Int64(p[b] - 0x30) }
    var ce = tidStart
    while ce > commStart && Bytes.isSpace(p[ce - 1]) { ce -= 1 }
    line.comm = commStart..<ce
    i = d + 1
    while i < n && Bytes.isSpace(p[i]) { i += 1 }
    guard let afterTime = parseSeconds(p, from: i, into: &line.time) else {
      column = i + 1
      return nil
    }
    return parseEvent(p, from: afterTime, line, column: &column, groups: true)
  }

  /// `bt NSECS CPU TID EVENT: FIELDS comm=COMM` (docs/import.md).
  static func parseBpftrace(_ p: UnsafeBufferPointer<UInt8>, column: inout Int) -> KernelTraceLine? {
    let n = p.count
    guard n > 3, p[0] == 0x62, p[1] == 0x74, p[2] == 0x20 else {
      column = 1
      return nil
    }
    var line = KernelTraceLine()
    var i = 3
    func number(_ v: inout Int64) -> Bool {
      let s = i
      while i < n && Bytes.isDigit(p[i]) {
        v = v &* 10 &+ Int64(p[i] - 0x30)
        i += 1
      }
      guard i > s, i < n, p[i] == 0x20 else { return false }
      i += 1
      return true
    }
    var ns: Int64 = 0
    guard number(&ns), number(&line.cpu), number(&line.pid) else {
      column = i + 1
      return nil
    }
    line.time = UInt64(max(0, ns))
    // The comm is last: after the last " comm=".
    var c = n - 6
    var commAt = -1
    while c >= i {
      if p[c] == 0x20 && p[c + 1] == 0x63 && p[c + 2] == 0x6F && p[c + 3] == 0x6D && p[c + 4] == 0x6D && p[c + 5] == 0x3D {
        commAt = c
        break
      }
      c -= 1
    }
    guard commAt > 0 else {
      column = n + 1
      return nil
    }
    line.comm = (commAt + 6)..<n
    let s = i
    while i < commAt && Bytes.isNameByte(p[i]) { i += 1 }
    guard i > s, i < commAt, p[i] == 0x3A else {
      column = i + 1
      return nil
    }
    line.event = s..<i
    i += 1
    while i < commAt && Bytes.isSpace(p[i]) { i += 1 }
    line.body = i..<commAt
    return line
  }

  /// The CPU column after a task name that may hold spaces and dashes: the
  /// first ` [digits]` after `start`. Returns where `[` and `]` are, and the
  /// CPU. memchr finds each '[' (a task name rarely holds one).
  static func cpuColumn(_ p: UnsafeBufferPointer<UInt8>, after start: Int) -> (open: Int, close: Int, cpu: Int64)? {
    let n = p.count
    let base = p.baseAddress!
    var k = start + 1
    while k + 2 < n {
      guard let hit = memchr(base + k, 0x5B, n - 2 - k) else { return nil }
      k = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      if Bytes.isSpace(p[k - 1]) && Bytes.isDigit(p[k + 1]) {
        var d = k + 1
        var cpu: Int64 = 0
        while d < n && Bytes.isDigit(p[d]) {
          cpu = cpu &* 10 &+ Int64(p[d] - 0x30)
          d += 1
        }
        if d < n && p[d] == 0x5D { return (k, d, cpu) }
      }
      k += 1
    }
    return nil
  }

  /// `SECONDS:` (any number of decimals) or an integer clock (`counter`,
  /// `x86-tsc`: taken as nanoseconds); returns the offset after the colon.
  static func parseSeconds(_ p: UnsafeBufferPointer<UInt8>, from start: Int, into time: inout UInt64) -> Int? {
    let n = p.count
    var i = start
    var whole: UInt64 = 0
    while i < n && Bytes.isDigit(p[i]) {
      whole = whole &* 10 &+ UInt64(p[i] - 0x30)
      i += 1
    }
    guard i > start, i < n else { return nil }
    if p[i] == 0x3A {  // an integer clock
      time = whole
      return i + 1
    }
    guard p[i] == 0x2E else { return nil }
    i += 1
    var frac: UInt64 = 0
    var digits = 0
    while i < n && Bytes.isDigit(p[i]) {
      if digits < 9 {
        frac = frac * 10 + UInt64(p[i] - 0x30)
        digits += 1
      }
      i += 1
    }
    guard i < n, p[i] == 0x3A, digits > 0 else { return nil }
    while digits < 9 {
      frac *= 10
      digits += 1
    }
    time = whole &* 1_000_000_000 &+ frac
    return i + 1
  }

  /// ` EVENT: ` or ` GROUP:EVENT: `, then an optional `(site)`, then the fields.
  static func parseEvent(_ p: UnsafeBufferPointer<UInt8>, from start: Int, _ partial: KernelTraceLine, column: inout Int, groups: Bool) -> KernelTraceLine? {
    var line = partial
    let n = p.count
    var i = start
    while i < n && Bytes.isSpace(p[i]) { i += 1 }
    let s = i
    while i < n && Bytes.isNameByte(p[i]) { i += 1 }
    guard i > s, i < n, p[i] == 0x3A else {
      column = i + 1
      return nil
    }
    line.event = s..<i
    if groups && i + 1 < n && Bytes.isNameByte(p[i + 1]) {
      // perf: "group:event:"
      let g = s..<i
      i += 1
      let es = i
      while i < n && Bytes.isNameByte(p[i]) { i += 1 }
      guard i > es, i < n, p[i] == 0x3A else {
        column = i + 1
        return nil
      }
      line.group = g
      line.event = es..<i
    }
    i += 1
    while i < n && Bytes.isSpace(p[i]) { i += 1 }
    if i < n && p[i] == 0x28 {  // "(site)"
      var e = i + 1
      while e < n && p[e] != 0x29 { e += 1 }
      if e < n {
        line.site = (i + 1)..<e
        i = e + 1
        while i < n && Bytes.isSpace(p[i]) { i += 1 }
      }
    }
    line.body = i..<n
    return line
  }
}
