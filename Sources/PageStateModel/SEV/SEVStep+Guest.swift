import PageStateTrace

extension SEVStep {
  /// A guest access through its page table: the C-bit of `c=` or of the PTE
  /// says which kind of memory the guest means. When it disagrees with the
  /// page, SEV-SNP converts implicitly (an NPF that exits with
  /// KVM_EXIT_MEMORY_FAULT) and retries; plain SEV silently uses the wrong
  /// key (`cbit-mismatch`).
  func touch(_ m: inout Model, from offset: UInt64) -> Outcome {
    var page = event.pages.first + offset
    while page < event.pages.end {
      defer { page += 1 }
      let b = bits(&m, page)
      let encrypted = event.cbit.map { $0 == .enc } ?? (b & SEVPage.enc != 0)
      let isPrivate = b & SEVPage.private != 0
      let write = event.words.contains(.write)
      if encrypted != isPrivate {
        guard snp else {
          m.report(.cbitMismatch, at: event, page: page, state: stateName(&m, page),
            message: encrypted
              ? "guest \(write ? "write" : "read") of shared page \(hex(page)) through an enc PTE: the host and devices see ciphertext where the guest meant plaintext"
              : "guest \(write ? "write" : "read") of private page \(hex(page)) through a dec PTE: guest data goes out unencrypted, or the guest reads ciphertext")
          continue
        }
        let outcome = convert(&m, pages: PageRange(first: page, count: 1), from: page, toPrivate: encrypted, implicit: true)
        if case .done = outcome {} else { return outcome }
        if bits(&m, page) & SEVPage.private != (encrypted ? SEVPage.private : 0) { continue }  // refused
      }
      if encrypted { prepare(&m, page) }
      if snp && encrypted && bits(&m, page) & SEVPage.rmpMask != SEVPage.rmpValid {
        m.report(.unvalidatedAccess, at: event, page: page, state: stateName(&m, page),
          message: "guest access to private page \(hex(page)) that it has not validated (PVALIDATE): #VC")
      }
    }
    return .done
  }

  /// PVALIDATE on/off (sev-snp). A 4K request inside a 2M RMP entry faults
  /// with a size mismatch, KVM PSMASHes the entry and the guest retries; a 2M
  /// request over 4K entries fails with FAIL_SIZEMISMATCH and Linux redoes it as 4K.
  ///
  /// PVALIDATE is a private access: on a gfn whose attribute is shared the
  /// nested page fault carries PFERR_GUEST_ENC_MASK, which
  /// `npf_interception()` turns into PFERR_PRIVATE_ACCESS; the private fault
  /// on a shared gfn makes `kvm_mmu_faultin_pfn()` exit with
  /// KVM_EXIT_MEMORY_FAULT, the VMM converts the gfn, and the guest's
  /// PVALIDATE is retried (an implicit conversion, which may wait like any
  /// other). Only a page the conversion leaves shared (`large=refuse`) fails.
  func pvalidate(_ m: inout Model, from offset: UInt64) -> Outcome {
    let on = event.words.contains(.on)
    var page = event.pages.first + offset
    let outcome = convert(&m, pages: event.pages, from: page, toPrivate: true, implicit: true)
    if case .done = outcome {} else { return outcome }
    while page < event.pages.end {
      if event.size == .size2M {
        let region = page & ~511
        let hi = min(event.pages.end, region + 512)
        if bits(&m, page) & SEVPage.rmp2M == 0 {
          m.stats.add(.pvalidateSizeMismatch)
        }
        for p in page..<hi { validate(&m, p, on: on, smash: false) }
        page = hi
        continue
      }
      validate(&m, page, on: on, smash: true)
      page += 1
    }
    return .done
  }

  func validate(_ m: inout Model, _ page: UInt64, on: Bool, smash: Bool) {
    prepare(&m, page)  // gmem=separate: PVALIDATE's NPT walk faults the private page in first
    let b = bits(&m, page)
    let rmp = b & SEVPage.rmpMask
    if rmp == SEVPage.rmpHV {
      if on {
        m.report(.pvalidateFailed, at: event, page: page, state: stateName(&m, page),
          message: "PVALIDATE of page \(hex(page)), whose RMP entry is hypervisor-owned (not assigned to the guest): the VMM did not convert it, so it fails")
      }
      return
    }
    if smash && b & SEVPage.rmp2M != 0 { psmash(&m, region: page) }
    update(&m, page) { $0 = ($0 & ~SEVPage.rmpMask) | (on ? SEVPage.rmpValid : SEVPage.rmpAssigned) }
  }

  /// The guest sets the C-bit of its PTEs (e.g. a driver maps a DMA buffer decrypted).
  func gpte(_ m: inout Model) -> Outcome {
    let enc = event.words.contains(.enc)
    for p in event.pages.first..<event.pages.end {
      update(&m, p) { $0 = enc ? $0 | SEVPage.enc : $0 & ~SEVPage.enc }
    }
    return .done
  }

  /// `mprotect_fixup()` rebuilds each PTE with `pgprot_modify(old, vm_get_page_prot())`:
  /// before 6db73f17c5f1 `_PAGE_CHG_MASK` lacked the encryption bit, so every
  /// PTE took the default, encrypted.
  func mprotect(_ m: inout Model) -> Outcome {
    guard m.policy.chgMask == .dropEnc else { return .done }
    for p in event.pages.first..<event.pages.end { update(&m, p) { $0 |= SEVPage.enc } }
    return .done
  }

  /// `split_huge_pmd`: the guest's 2 MiB mapping around PAGE becomes PTEs that
  /// copy the huge entry's C-bit, or take the VMA default (`enc`).
  func splitPMD(_ m: inout Model) -> Outcome {
    let page = event.pages.first
    let enc = m.policy.splitPMD == .vmPageProt || bits(&m, page) & SEVPage.enc != 0
    let region = page & ~511
    for p in region..<(region + 512) where m.memory.isDeclared(p) {
      update(&m, p) { $0 = enc ? $0 | SEVPage.enc : $0 & ~SEVPage.enc }
    }
    return .done
  }
}
