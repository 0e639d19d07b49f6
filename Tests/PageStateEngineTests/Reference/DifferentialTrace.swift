// Random traces of the differential subset (docs/differential.md): valid
// by construction (every release matches an earlier acquisition of the same
// actor on the same page, DMA ids are unique, no writeback on gmem), 25
// events by default, over the three architectures.

struct DifferentialTrace {
  var rng: PropertyRNG
  let arch: String
  var lines: [String] = []
  var pages: [UInt64] = []
  var gmem: [UInt64] = []
  var held: [String: [(verb: String, page: UInt64)]] = [:]
  var writebacks: [String: [UInt64]] = [:]
  var windows: [String: [String]] = [:]
  var locks: [String: UInt64] = [:]
  var nextID = 0
  var time: UInt64 = 0

  static let guests = ["vcpu0", "vcpu1"]
  static let hosts = ["qemu", "kvm"]
  static let devices = ["disk", "nic"]

  static func make(seed: UInt64, events: Int = 25) -> (arch: String, text: String) {
    var rng = PropertyRNG(seed: seed)
    let arch = rng.pick(["s390-pv", "s390-pv", "sev", "sev-snp", "sev-snp"])
    var t = DifferentialTrace(rng: rng, arch: arch)
    t.header()
    for _ in 0..<events { t.event() }
    return (arch, t.lines.joined(separator: "\n") + "\n")
  }

  func hex(_ p: UInt64) -> String { "0x" + String(p, radix: 16) }

  mutating func header() {
    lines.append("pagestate 1")
    lines.append("arch \(arch)")
    if arch == "s390-pv" {
      let order = rng.below(3)
      let n = UInt64(2 << order)
      let state = rng.chance(40) ? " state=" + rng.pick(["secure", "shared"]) : ""
      lines.append("memory 0x0+\(n) order=\(order) backing=\(rng.pick(["anon", "file"]))\(state)")
      pages = Array(0..<n)
      lines.append("memory 0x40+3 backing=\(rng.pick(["anon", "file"]))")
      pages += [0x40, 0x41, 0x42]
    } else {
      lines.append("memory 0x0+3 backing=\(rng.pick(["anon", "file"]))")
      pages = [0, 1, 2]
      let inPlace = arch == "sev-snp" && rng.chance(30)
      let gmemOrder = arch == "sev" || inPlace ? rng.pick([0, 2]) : 0
      lines.append("memory 0x10+4 order=\(gmemOrder) backing=gmem\(rng.chance(40) ? " state=private" : "")")
      gmem = [0x10, 0x11, 0x12, 0x13]
      pages += gmem
      lines.append("memory 0x20+4 order=2 backing=anon\(rng.chance(40) ? " state=private" : "")")
      pages += [0x20, 0x21, 0x22, 0x23]
      var knobs: [String] = inPlace ? ["gmem=in-place"] : []
      if rng.chance(25) { knobs.append("wait=bounded:150ms") }
      if rng.chance(15) { knobs.append("merge=off") }
      if !knobs.isEmpty { lines.append("policy " + knobs.joined(separator: " ")) }
    }
    if arch == "s390-pv" && rng.chance(25) { lines.append("policy wait=bounded:150ms") }
    for a in Self.guests { lines.append("actor \(a) guest") }
    for a in Self.hosts { lines.append("actor \(a) host") }
    for a in Self.devices { lines.append("actor \(a) device") }
  }

  /// Sometimes an explicit time, sometimes past a bounded wait's 150 ms.
  mutating func stamp() -> String {
    guard rng.chance(15) else {
      time += 1
      return ""
    }
    time += rng.chance(30) ? 200_000 : UInt64(1 + rng.below(50))
    return "@\(time)us "
  }

  /// A page, or sometimes `P+2` when P+1 is declared with it.
  mutating func pageSet() -> String {
    let p = rng.pick(pages)
    return rng.chance(25) && pages.contains(p + 1) ? hex(p) + "+2" : hex(p)
  }

  mutating func event() {
    let at = stamp()
    let before = lines.count
    defer { if lines.count > before { lines[before] = at + lines[before] } }
    switch rng.below(3) {
    case 0: guest()
    case 1: host()
    default: device()
    }
  }

  mutating func guest() {
    let a = rng.pick(Self.guests)
    let p = rng.pick(pages)
    if arch == "s390-pv" {
      switch rng.below(5) {
      case 0, 1:
        let set = rng.chance(25) && pages.contains(p + 1) ? "+2" : ""
        lines.append("\(a): touch \(hex(p))\(set)\(rng.chance(50) ? " write" : "")")
      case 2, 3: lines.append("\(a): share \(hex(p))")
      default: lines.append("\(a): unshare \(hex(p))")
      }
      return
    }
    switch rng.below(arch == "sev-snp" ? 5 : 4) {
    case 0: lines.append("\(a): psc \(pageSet()) \(rng.pick(["private", "shared"]))")
    case 1: lines.append("\(a): touch \(hex(p))\(rng.chance(50) ? " write" : "")\(rng.chance(40) ? " c=" + rng.pick(["enc", "dec"]) : "")")
    case 2: lines.append("\(a): gpte \(hex(p)) \(rng.pick(["enc", "dec"]))")
    case 3: lines.append("\(a): touch \(hex(p))")
    default: lines.append("\(a): pvalidate \(hex(p)) \(rng.pick(["on", "off"]))")
    }
  }

  mutating func acquire(_ a: String, _ verb: String, _ line: String, _ p: UInt64) {
    lines.append(line)
    held[a, default: []].append((verb, p))
  }

  mutating func host() {
    let a = rng.pick(Self.hosts)
    let p = rng.pick(pages)
    switch rng.below(15) {
    case 0: acquire(a, "put", "\(a): get \(hex(p))", p)
    case 1: acquire(a, "unpin", "\(a): pin \(hex(p))\(rng.chance(25) ? " longterm" : "")\(rng.chance(50) ? " write" : "")", p)
    case 2: acquire(a, "spec-put", "\(a): spec-get \(hex(p))", p)
    case 3, 4:
      if var h = held[a], !h.isEmpty {
        let (verb, q) = h.remove(at: rng.below(h.count))
        held[a] = h
        lines.append("\(a): \(verb) \(hex(q))")
      }
    case 5: lines.append("\(a): lru-add \(hex(p))")
    case 6: lines.append("\(a): lru-drain")
    case 7:
      if let q = writebacks[a]?.popLast() {
        lines.append("\(a): writeback-end \(hex(q))")
      } else if !gmem.contains(p) {
        lines.append("\(a): writeback-start \(hex(p))")
        writebacks[a, default: []].append(p)
      }
    case 8: lines.append("\(a): access \(hex(p)) \(rng.pick(["read", "write"]))\(rng.chance(30) ? " kernel" : "")")
    case 9:
      if arch == "s390-pv" {
        lines.append("\(a): make-accessible \(hex(p))\(rng.chance(40) ? " scope=" + rng.pick(["page", "folio"]) : "")")
      } else {
        lines.append("\(a): convert \(pageSet()) \(rng.pick(["private", "shared"]))")
      }
    case 10:
      if arch == "s390-pv" {
        if rng.chance(25) { lines.append("\(a): destroy \(hex(p))") }
      } else if arch == "sev-snp" && gmem.contains(p) {
        lines.append("\(a): unmap \(hex(p))")
      } else {
        lines.append("\(a): flush")
      }
    case 11:
      if let q = locks[a] {
        lines.append("\(a): unlock \(hex(q))")
        locks[a] = nil
      } else {
        lines.append("\(a): lock \(hex(p))")
        locks[a] = p
      }
    case 12:
      if rng.chance(30) { lines.append("\(a): split \(hex(p))") }
    default:
      lines.append("\(a): access \(hex(p)) read")
    }
  }

  mutating func device() {
    let a = rng.pick(Self.devices)
    let p = rng.pick(pages)
    switch rng.below(3) {
    case 0: lines.append("\(a): dma \(hex(p)) \(rng.pick(["read", "write"]))")
    case 1:
      nextID += 1
      lines.append("\(a): dma-start \(hex(p)) \(rng.pick(["read", "write"])) id=d\(nextID)")
      windows[a, default: []].append("d\(nextID)")
    default:
      if var w = windows[a], !w.isEmpty {
        lines.append("\(a): dma-end id=\(w.removeFirst())")
        windows[a] = w
      }
    }
  }
}
