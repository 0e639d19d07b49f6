/// Every verb of the trace language v1, across architectures.
public enum Verb: UInt8, CaseIterable, Sendable, Hashable {
  // Shared host verbs (trace-format.md).
  case get, put, pin, unpin, lock, unlock
  case lruAdd, lruDrain, specGet, specPut
  case writebackStart, writebackEnd
  case access, makeAccessible, split, flush, note
  // Device verbs.
  case dmaStart, dmaEnd, dma
  // s390-pv guest and host verbs.
  case touch, share, unshare, unmap, destroy, inject
  // sev / sev-snp verbs.
  case psc, pvalidate, gpte, mprotect, splitPMD, convert

  /// The verb's spelling in a trace.
  public var name: String { VerbSyntax.table[Int(rawValue)].name }
  /// The grammar and rules of the verb.
  public var syntax: VerbSyntax { VerbSyntax.table[Int(rawValue)] }
}

/// Bare words that may follow a verb's operand (`pin 0x0 longterm write`).
public struct EventWords: OptionSet, Sendable, Hashable {
  public var rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  public static let read = EventWords(rawValue: 1 << 0)
  public static let write = EventWords(rawValue: 1 << 1)
  public static let kernel = EventWords(rawValue: 1 << 2)
  public static let user = EventWords(rawValue: 1 << 3)
  public static let longterm = EventWords(rawValue: 1 << 4)
  public static let `private` = EventWords(rawValue: 1 << 5)
  public static let shared = EventWords(rawValue: 1 << 6)
  public static let on = EventWords(rawValue: 1 << 7)
  public static let off = EventWords(rawValue: 1 << 8)
  public static let enc = EventWords(rawValue: 1 << 9)
  public static let dec = EventWords(rawValue: 1 << 10)

  /// The word spelt by `bytes`, without creating a `String`.
  static func lookup(_ bytes: UnsafeBufferPointer<UInt8>, in table: [(UInt64, Int, EventWords)] = packed) -> EventWords? {
    guard bytes.count <= 8 else { return nil }
    let key = LineBytes.pack(bytes).0
    for i in 0..<table.count where table[i].0 == key && table[i].1 == bytes.count {
      return table[i].2
    }
    return nil
  }

  static let packed: [(UInt64, Int, EventWords)] = spellings.map { word, name in
    (Array(name.utf8).withUnsafeBufferPointer { LineBytes.pack($0).0 }, name.utf8.count, word)
  }

  /// Every word with its spelling, in the order they are written back.
  public static let spellings: [(EventWords, String)] = [
    (.read, "read"), (.write, "write"), (.kernel, "kernel"), (.user, "user"),
    (.longterm, "longterm"), (.private, "private"), (.shared, "shared"),
    (.on, "on"), (.off, "off"), (.enc, "enc"), (.dec, "dec"),
  ]
}

/// The `key=value` options events take.
public enum EventOptionKey: String, CaseIterable, Sendable {
  case via, scope, id, cpu, fail, count, size, c

  /// The key spelt by `bytes`, without creating a `String`.
  static func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> EventOptionKey? {
    func spells(_ word: StaticString) -> Bool {
      guard bytes.count == word.utf8CodeUnitCount else { return false }
      for i in 0..<bytes.count where bytes[i] != word.utf8Start[i] { return false }
      return true
    }
    switch bytes.count {
    case 1: return spells("c") ? .c : nil
    case 2: return spells("id") ? .id : nil
    case 3: return spells("via") ? .via : spells("cpu") ? .cpu : nil
    case 4: return spells("fail") ? .fail : spells("size") ? .size : nil
    case 5: return spells("scope") ? .scope : spells("count") ? .count : nil
    default: return nil
    }
  }

  /// A bit per key, for the grammar's masks.
  @inlinable
  public var bit: UInt16 {
    switch self {
    case .via: return 1
    case .scope: return 2
    case .id: return 4
    case .cpu: return 8
    case .fail: return 16
    case .count: return 32
    case .size: return 64
    case .c: return 128
    }
  }
}

/// Which architectures a verb exists on.
public struct ArchitectureSet: OptionSet, Sendable, Hashable {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }
  public static let s390PV = ArchitectureSet(rawValue: 1)
  public static let sev = ArchitectureSet(rawValue: 2)
  public static let sevSNP = ArchitectureSet(rawValue: 4)
  public static let all: ArchitectureSet = [.s390PV, .sev, .sevSNP]
  public static let sevBoth: ArchitectureSet = [.sev, .sevSNP]

  public init(_ name: ArchitectureName) {
    switch name {
    case .s390PV: self = .s390PV
    case .sev: self = .sev
    case .sevSNP: self = .sevSNP
    }
  }
}

/// The grammar of one verb: its operand, the bare words and options it takes,
/// which actors may use it and on which architectures it exists.
///
/// Stored as plain bits (no arrays, no `String`), so the parser can copy it
/// per event without reference counting; the array views are for messages.
public struct VerbSyntax: Sendable {
  public enum Operand: Sendable { case none, pages, page, text }
  /// Who may use the verb. Host actors may also use `.cpu` and `.device` verbs.
  public enum Requirement: Sendable { case guest, host, device, cpu, any }

  public let verb: Verb
  let spelling: StaticString
  public let requirement: Requirement
  public let architectures: ArchitectureSet
  public let operand: Operand
  /// Up to three groups of alternative bare words (at most one word of each).
  let group0: EventWords
  let group1: EventWords
  let group2: EventWords
  /// Bit i: group i must be given.
  let requiredGroupBits: UInt8
  /// Bit k: option `EventOptionKey.allCases[k]` is allowed / required.
  let keyBits: UInt16
  let requiredKeyBits: UInt16

  /// The verb's spelling.
  public var name: String { spelling.description }
  /// Groups of alternative bare words; at most one word of each.
  public var wordGroups: [EventWords] { [group0, group1, group2].filter { !$0.isEmpty } }
  /// Groups of which exactly one word must be given.
  public var requiredGroups: [EventWords] {
    [group0, group1, group2].enumerated().filter { requiredGroupBits & (1 << UInt8($0.offset)) != 0 }.map(\.element)
  }
  public var keys: [EventOptionKey] { EventOptionKey.allCases.filter { keyBits & $0.bit != 0 } }
  public var requiredKeys: [EventOptionKey] { EventOptionKey.allCases.filter { requiredKeyBits & $0.bit != 0 } }

  /// The first required group none of whose words is in `words`.
  @inline(__always)
  func missingGroup(in words: EventWords) -> EventWords? {
    if requiredGroupBits & 1 != 0 && words.isDisjoint(with: group0) { return group0 }
    if requiredGroupBits & 2 != 0 && words.isDisjoint(with: group1) { return group1 }
    if requiredGroupBits & 4 != 0 && words.isDisjoint(with: group2) { return group2 }
    return nil
  }

  /// The group holding `word`, if the verb takes it.
  @inline(__always)
  func group(of word: EventWords) -> EventWords? {
    if group0.contains(word) { return group0 }
    if group1.contains(word) { return group1 }
    if group2.contains(word) { return group2 }
    return nil
  }

  /// The kind an undeclared actor gets on first use of this verb.
  public var impliedKind: ActorKind {
    switch requirement {
    case .guest: return .guest
    case .device: return .device
    default: return .host
    }
  }

  /// Whether an actor of `kind` may use this verb.
  @inline(__always)
  public func allows(_ kind: ActorKind) -> Bool {
    switch requirement {
    case .any: return true
    case .guest: return kind == .guest
    case .device: return kind == .device || kind == .host
    case .cpu: return kind == .cpu || kind == .host
    case .host: return kind == .host
    }
  }

  init(
    _ verb: Verb, _ name: StaticString, _ requirement: Requirement, _ architectures: ArchitectureSet,
    _ operand: Operand, words: [EventWords] = [], required: [EventWords] = [],
    keys: [EventOptionKey] = [], requiredKeys: [EventOptionKey] = []
  ) {
    self.verb = verb
    self.spelling = name
    self.requirement = requirement
    self.architectures = architectures
    self.operand = operand
    let groups = words + required
    precondition(groups.count <= 3)
    group0 = groups.count > 0 ? groups[0] : []
    group1 = groups.count > 1 ? groups[1] : []
    group2 = groups.count > 2 ? groups[2] : []
    var bits: UInt8 = 0
    for i in words.count..<groups.count { bits |= 1 << UInt8(i) }
    requiredGroupBits = bits
    keyBits = keys.reduce(0) { $0 | $1.bit }
    requiredKeyBits = requiredKeys.reduce(0) { $0 | $1.bit }
  }

  /// Indexed by `Verb.rawValue`.
  public static let table: [VerbSyntax] = {
    let rows: [VerbSyntax] = [
      .init(.get, "get", .host, .all, .pages, keys: [.via]),
      .init(.put, "put", .host, .all, .pages),
      .init(.pin, "pin", .host, .all, .pages, words: [.longterm, .write]),
      .init(.unpin, "unpin", .host, .all, .pages),
      .init(.lock, "lock", .host, .all, .page),
      .init(.unlock, "unlock", .host, .all, .page),
      .init(.lruAdd, "lru-add", .host, .all, .pages),
      .init(.lruDrain, "lru-drain", .host, .all, .none),
      .init(.specGet, "spec-get", .host, .all, .pages),
      .init(.specPut, "spec-put", .host, .all, .pages),
      .init(.writebackStart, "writeback-start", .host, .all, .pages),
      .init(.writebackEnd, "writeback-end", .host, .all, .pages),
      .init(.access, "access", .cpu, .all, .pages, words: [[.kernel, .user]], required: [[.read, .write]]),
      .init(.makeAccessible, "make-accessible", .host, .s390PV, .pages, keys: [.scope]),
      .init(.split, "split", .host, .all, .page),
      .init(.flush, "flush", .cpu, .all, .none, keys: [.cpu]),
      .init(.note, "note", .any, .all, .text),
      .init(.dmaStart, "dma-start", .device, .all, .pages, words: [[.read, .write]], keys: [.id]),
      .init(.dmaEnd, "dma-end", .device, .all, .none, keys: [.id]),
      .init(.dma, "dma", .device, .all, .pages, words: [[.read, .write]], keys: [.id]),
      .init(.touch, "touch", .guest, .all, .pages, words: [.write], keys: [.c]),
      .init(.share, "share", .guest, .s390PV, .pages),
      .init(.unshare, "unshare", .guest, .s390PV, .pages),
      .init(.unmap, "unmap", .host, [.s390PV, .sevSNP], .pages),
      .init(.destroy, "destroy", .host, .s390PV, .pages),
      .init(.inject, "inject", .host, .s390PV, .pages, keys: [.fail, .count], requiredKeys: [.fail]),
      .init(.psc, "psc", .guest, .sevBoth, .pages, required: [[.private, .shared]], keys: [.size]),
      .init(.pvalidate, "pvalidate", .guest, .sevSNP, .pages, required: [[.on, .off]], keys: [.size]),
      .init(.gpte, "gpte", .guest, .sevBoth, .pages, required: [[.enc, .dec]]),
      .init(.mprotect, "mprotect", .guest, .sevBoth, .pages),
      .init(.splitPMD, "split-pmd", .guest, .sevBoth, .page),
      .init(.convert, "convert", .host, .sevBoth, .pages, required: [[.private, .shared]]),
    ]
    precondition(rows.enumerated().allSatisfy { $0.offset == Int($0.element.verb.rawValue) })
    return rows
  }()

  /// Looks a verb up by its spelling.
  public static func named(_ name: String) -> VerbSyntax? {
    table.first { $0.name == name }
  }
}
