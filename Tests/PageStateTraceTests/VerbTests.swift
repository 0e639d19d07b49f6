import Testing

@testable import PageStateTrace

/// The verb table (Verb.swift) and the vocabulary enums the reader relies on.
@Suite struct VerbTests {

  /// The reader's hashed lookup finds every verb by its spelling and nothing
  /// else (a prefix, an extension, a changed byte, the empty word).
  @Test func hashedVerbLookup() {
    let vocabulary = TraceReader.Vocabulary()
    func lookup(_ word: String) -> Verb? {
      Array(word.utf8).withUnsafeBufferPointer { p in
        vocabulary.verbSyntax(LineBytes(bytes: p), Token(start: 0, end: p.count))?.verb
      }
    }
    for syntax in VerbSyntax.table {
      #expect(lookup(syntax.name) == syntax.verb)
      #expect(lookup(syntax.name + "x") == nil)
      #expect(lookup(String(syntax.name.dropLast())) == nil || syntax.name == "dma-start")
      #expect(lookup(syntax.name.uppercased()) == nil)
    }
    #expect(lookup("") == nil)
    #expect(lookup("writeback-start-") == nil)
    #expect(lookup("writeback-starts-too-long") == nil)
  }

  @Test(arguments: EventOptionKey.allCases)
  func optionKeyLookup(_ key: EventOptionKey) {
    func lookup(_ word: String) -> EventOptionKey? {
      Array(word.utf8).withUnsafeBufferPointer { EventOptionKey.lookup($0) }
    }
    #expect(lookup(key.rawValue) == key)
    #expect(lookup(key.rawValue + "s") == nil)
    #expect(lookup("x" + key.rawValue.dropFirst()) == nil || key == .c)
    #expect(lookup(key.rawValue.uppercased()) == nil)
  }

  @Test func theTableIsIndexedByRawValue() {
    #expect(VerbSyntax.table.count == Verb.allCases.count)
    for verb in Verb.allCases {
      #expect(VerbSyntax.table[Int(verb.rawValue)].verb == verb)
      #expect(verb.syntax.verb == verb)
      #expect(VerbSyntax.named(verb.name)?.verb == verb)
    }
    #expect(VerbSyntax.named("bogus") == nil)
    #expect(Set(Verb.allCases.map(\.name)).count == Verb.allCases.count)
  }

  @Test(arguments: [
    (Verb.get, "get"), (.lruAdd, "lru-add"), (.lruDrain, "lru-drain"), (.specGet, "spec-get"),
    (.writebackStart, "writeback-start"), (.makeAccessible, "make-accessible"), (.dmaStart, "dma-start"),
    (.dmaEnd, "dma-end"), (.splitPMD, "split-pmd"), (.pvalidate, "pvalidate"), (.inject, "inject"),
  ])
  func spellings(_ verb: Verb, _ name: String) {
    #expect(verb.name == name)
  }

  @Test func whoMayUseWhat() {
    // Host actors may also use cpu and device verbs; nobody else crosses over.
    #expect(Verb.get.syntax.allows(.host))
    #expect(!Verb.get.syntax.allows(.guest) && !Verb.get.syntax.allows(.device) && !Verb.get.syntax.allows(.cpu))
    #expect(Verb.dma.syntax.allows(.device) && Verb.dma.syntax.allows(.host))
    #expect(!Verb.dma.syntax.allows(.guest) && !Verb.dma.syntax.allows(.cpu))
    #expect(Verb.access.syntax.allows(.cpu) && Verb.access.syntax.allows(.host))
    #expect(!Verb.access.syntax.allows(.guest) && !Verb.access.syntax.allows(.device))
    #expect(Verb.touch.syntax.allows(.guest))
    #expect(!Verb.touch.syntax.allows(.host))
    #expect(ActorKind.allCases.allSatisfy { Verb.note.syntax.allows($0) })
    // A TLB flush is a cpu verb: cpus and hosts, not guests or devices.
    #expect(Verb.flush.syntax.allows(.cpu) && Verb.flush.syntax.allows(.host))
    #expect(!Verb.flush.syntax.allows(.guest) && !Verb.flush.syntax.allows(.device))
  }

  @Test func impliedKinds() {
    #expect(Verb.touch.syntax.impliedKind == .guest)
    #expect(Verb.psc.syntax.impliedKind == .guest)
    #expect(Verb.dmaEnd.syntax.impliedKind == .device)
    #expect(Verb.access.syntax.impliedKind == .host)
    #expect(Verb.note.syntax.impliedKind == .host)
    #expect(Verb.flush.syntax.impliedKind == .host)
  }

  @Test(arguments: [
    ("s390-pv", ["share", "unshare", "unmap", "destroy", "inject", "make-accessible"], ["psc", "pvalidate", "gpte", "mprotect", "split-pmd", "convert"]),
    ("sev", ["psc", "gpte", "mprotect", "split-pmd", "convert"], ["share", "unshare", "unmap", "destroy", "inject", "make-accessible", "pvalidate"]),
    ("sev-snp", ["psc", "pvalidate", "gpte", "mprotect", "split-pmd", "convert", "unmap"], ["share", "unshare", "destroy", "inject", "make-accessible"]),
  ])
  func architectureSpecificVerbs(_ arch: String, _ present: [String], _ absent: [String]) throws {
    let set = ArchitectureSet(try #require(ArchitectureName(rawValue: arch)))
    for name in present { #expect(VerbSyntax.named(name)?.architectures.contains(set) == true, "\(name)") }
    for name in absent { #expect(VerbSyntax.named(name)?.architectures.contains(set) == false, "\(name)") }
    // The shared verbs of trace-format.md exist everywhere.
    for name in ["get", "put", "pin", "unpin", "lock", "unlock", "lru-add", "lru-drain", "spec-get", "spec-put",
      "writeback-start", "writeback-end", "access", "split", "dma-start", "dma-end", "dma", "note", "flush", "touch"]
    {
      #expect(VerbSyntax.named(name)?.architectures.contains(set) == true, "\(name)")
    }
  }

  @Test func vocabulary() {
    #expect(ArchitectureName.allCases.map(\.rawValue) == ["s390-pv", "sev", "sev-snp"])
    #expect(ArchitectureName.s390PV.initialStates.first == .nonsecure)
    #expect(ArchitectureName.sev.initialStates == [.shared, .private])
    #expect(ArchitectureName.sevSNP.initialStates == [.shared, .private])
    #expect(Backing.allCases.map(\.rawValue) == ["anon", "file", "shmem", "gmem"])
    #expect(ActorKind.allCases.map(\.rawValue) == ["guest", "host", "device", "cpu"])
    #expect(StatisticName.allCases.filter(\.isDuration) == [.waitTime, .maxWait])
    #expect(TraceReader.presetNames == ["page", "folio", "split", "refuse"])
    #expect(FindingKind.hang.defaultSeverity == .hang)
    #expect(FindingKind.ioOnSecure.defaultSeverity == .error)
    #expect(FindingKind.stall.defaultSeverity == .warning)
    #expect(Severity.warning < .error && Severity.error < .hang)
  }
}
