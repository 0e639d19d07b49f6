import PageStateTrace

/// One event applied to the SEV / SEV-SNP model. Conversions live in
/// `+Conversion`, the guest's page tables and PVALIDATE in `+Guest`.
struct SEVStep: EventStep {
  let event: Event
  /// SEV-SNP (with the RMP) rather than plain SEV.
  let snp: Bool

  // MARK: Page bits

  @inline(__always)
  func bits(_ m: inout Model, _ page: UInt64) -> UInt8 {
    m.memory.entries[m.memory.index(of: page)].bits
  }

  @inline(__always)
  func isPrivate(_ m: inout Model, _ page: UInt64) -> Bool {
    bits(&m, page) & SEVPage.private != 0
  }

  func update(_ m: inout Model, _ page: UInt64, _ body: (inout UInt8) -> Void) {
    let i = m.memory.index(of: page)
    body(&m.memory.entries[i].bits)
  }

  func stateName(_ m: inout Model, _ page: UInt64) -> String {
    SEVPage.stateName(of: page, in: &m, snp: snp)
  }

  func backing(_ m: inout Model, _ page: UInt64) -> Backing {
    m.memory.block(of: page).backing
  }

  // MARK: Verbs

  func run(from offset: UInt64, _ m: inout Model) -> Outcome {
    if let outcome = runShared(&m) { return outcome }
    switch event.verb {
    case .pin: return reference(&m, kind: event.words.contains(.longterm) ? .pinLongterm : .pin)
    case .writebackStart: return writebackStart(&m, from: offset)
    case .flush:
      m.tlb.flush(cpu: event.cpu >= 0 ? event.cpu : nil)
      m.stats.add(.tlbFlushes)
      m.stats.call(.tlbFlush)
      return .done
    case .access: return access(&m)
    case .dmaStart, .dma:
      // gmem=separate: the IOMMU maps the VMM's shared page, never guest_memfd.
      return deviceIO(&m, protected: "private", isProtected: { m, page in isPrivate(&m, page) && !isSeparate(&m, page) },
        stateName: { m, page in stateName(&m, page) },
        explain: { _, _, _ in
          snp ? "the IOMMU logs RMP_PAGE_FAULT: a device may not touch guest-owned memory"
            : "the device reads or writes ciphertext of guest-private memory"
        })
    case .touch: return touch(&m, from: offset)
    case .psc, .convert:
      return convert(&m, pages: event.pages, from: event.pages.first + offset, toPrivate: event.words.contains(.private), implicit: false)
    case .pvalidate: return pvalidate(&m, from: offset)
    case .gpte: return gpte(&m)
    case .mprotect: return mprotect(&m)
    case .splitPMD: return splitPMD(&m)
    case .unmap where snp: return punchHole(&m)
    case .makeAccessible, .share, .unshare, .unmap, .destroy, .inject:
      return failed("verb '\(event.verb.name)' does not exist for arch \(snp ? "sev-snp" : "sev")")
    default:
      preconditionFailure("\(event.verb.name) is a shared verb")
    }
  }

  /// PG_writeback on a folio (no accessibility hook exists on x86); guest_memfd
  /// folios are never written back.
  func writebackStart(_ m: inout Model, from offset: UInt64) -> Outcome {
    if backing(&m, event.pages.first + offset) == .gmem {
      return failed("writeback-start \(event.pages): guest_memfd (backing=gmem) folios are never written back")
    }
    return forEachFolio(&m, from: offset) { m, head, folio, count, part in
      if backing(&m, part.first) == .gmem {
        return failed("writeback-start \(part): guest_memfd (backing=gmem) folios are never written back")
      }
      if m.memory.entries[folio].flags.contains(.writeback) {
        return blocked(.writebackEnd, page: part.first, folio: head, count: count, conversion: false,
          what: .ofPage("writeback-start", part.first), resumeAt: part.first)
      }
      m.memory.entries[folio].flags.insert(.writeback)
      m.memory.hold(folio, actor: actor, kind: .writeback, count: 1, line: event.line, head: head)
      return nil
    }
  }

  /// A host CPU load or store. Shared: the actor keeps a TLB entry. Private:
  /// through a stale entry a deferred flush left behind, or a fault that
  /// guest_memfd refuses (user, SIGBUS), or memory reached through the
  /// kernel's own mapping: ciphertext (reads) or RMP #PF / corruption (writes).
  func access(_ m: inout Model) -> Outcome {
    let write = event.words.contains(.write)
    let kernel = event.words.contains(.kernel)
    for page in event.pages.first..<event.pages.end {
      // gmem=separate: the host maps the gfn's shared page (VMM memory),
      // whatever the attribute says; the private page has no host mapping.
      if !isPrivate(&m, page) || isSeparate(&m, page) {
        m.tlb.add(page, cpu: actor)
        continue
      }
      let state = stateName(&m, page)
      let entry = m.tlb.isEmpty ? nil : m.tlb.entry(page, cpu: actor)
      if let entry, entry.stale {
        m.report(.staleTLBAccess, at: event, page: page, state: state,
          message: "\(m.actorName(actor)) \(write ? "writes" : "reads") private page \(hex(page)) through a TLB entry the conversion revoked but no flush removed (flush=deferred)")
      } else if !kernel && backing(&m, page) == .gmem {
        m.stats.add(.hostSigbus)  // kvm_gmem refuses to fault in a private page: SIGBUS, no access
        continue
      }
      if write && snp {
        m.report(.rmpFault, at: event, page: page, state: state,
          message: "host write to guest-owned page \(hex(page)): RMP #PF\(kernel ? ", a host crash in kernel mode" : "")")
      } else {
        m.report(.ciphertextAccess, severity: write ? .error : .warning, at: event, page: page, state: state,
          message: write
            ? "host write to private page \(hex(page)) corrupts guest memory (plain SEV has no integrity protection)"
            : "host read of private page \(hex(page)) returns ciphertext\(snp ? " (the RMP does not check hypervisor reads)" : "")")
      }
    }
    return .done
  }
}
