import PageStateTrace

extension FindingKind {
  /// The long explanation `pagestate explain KIND` prints: what the finding means, the kernel
  /// path behind it, where it comes from (discussion / commit), and what to do about it.
  public var explanation: String {
    switch self {
    case .ioOnSecure: return """
      io-on-secure (error, s390-pv/sev/sev-snp): device I/O on a secure page
      A dma-start (or dma) began on a page that is secure (s390-pv) or
      private (sev, sev-snp), or a page became secure/private while a DMA
      window on it was open (reported at the event that converted it).
      This is the one rule that must never break: no I/O on secure pages.
      s390: the I/O path must make the page accessible first. Since
      f28d43636d6f (5.7) GUP with FOLL_PIN (pin_user_pages) and writeback
      (__folio_start_writeback) call the hook, today
      arch_make_folio_accessible; FOLL_GET, try_get_page, page-cache
      lookups and splice pipe buffers do not (the 2020 splice patch was
      not merged). SEV-SNP: the IOMMU logs
      RMP_PAGE_FAULT; plain SEV: the device sees ciphertext. Under
      gmem=separate (mainline guest_memfd, the default) DMA reaches the
      VMM's shared page, never guest_memfd: not reported there.
      Fix: take the marker (a FOLL_PIN pin, PG_writeback or the folio
      lock), call the hook, start the I/O, drop the marker after it ends;
      never convert a page to secure/private while a device uses it.
      """
    case .unprotectedIO: return """
      unprotected-io (warning, s390-pv/sev/sev-snp): I/O with no marker held
      A device I/O started on an accessible page while its folio held no
      marker: no reference or pin above the baseline, no PG_writeback, not
      locked (a DMA that reaches only protected pages is io-on-secure
      alone). Nothing keeps a concurrent import out (make_folio_secure
      freezes the refcount at expected_folio_refs() and only an extra
      reference makes it fail), so the I/O is safe only by timing.
      Contract (Dave Hansen / Ulrich Weigand, 2020, with f28d43636d6f):
      take the marker, call the hook, start the I/O, drop the marker only
      after the I/O ends. arch/s390/kernel/uv.c: the hook is "To be called
      with the folio locked or with an extra reference!"
      Fix: hold a pin (pin_user_pages) or PG_writeback across the I/O.
      """
    case .hookWithoutMarker: return """
      hook-without-marker (warning, s390-pv): hook called with nothing held
      arch_make_folio_accessible (or arch_make_page_accessible) ran for an
      actor that holds no reference, pin, lock or writeback on the folio.
      The hook exports or pins the page shared, but nothing stops the
      guest from importing it again (PGM 0x3e, gmap_make_secure ->
      make_folio_secure) before the I/O starts: scenario S4, io-on-secure.
      arch/s390/kernel/uv.c: the hook is "To be called with the folio
      locked or with an extra reference! This will prevent
      gmap_make_secure from touching the folio concurrently." GUP calls it
      after taking the pin, writeback after setting PG_writeback, the
      PGM 0x3d handler after taking a temporary reference (f28d43636d6f;
      s390 side 214d9bbcd3a6).
      Fix: take the marker first, then call the hook (Dave Hansen, 2020).
      """
    case .archBitLost: return """
      arch-bit-lost (error, s390-pv): a secure page whose PG_arch_1 is clear
      PG_arch_1 means "this page may be secure": it must be set whenever
      the page is secure and may over-indicate. With the bit clear the
      hook returns 0 without a UV call, so pin_user_pages, writeback and
      the fault handler let I/O reach a secure page. The model checks the
      page's bit (track=page) or the folio's bit (track=folio).
      Kernel (arch/s390/kernel/uv.c, 214d9bbcd3a6; folio hook 99b3f8f76f7a):
      make_folio_secure sets PG_arch_1 before the convert-to-secure UV
      call and leaves it set if the call fails; the hook clears it only
      after PIN_PAGE_SHARED (0x341) or CONV_FROM_SEC_STOR (0x201)
      succeeded. Note: mm/huge_memory.c does not copy PG_arch_1 to tail
      pages on a split; s390 is safe because large folios are never
      secure since 6.10/6.11 (eef88fe45ac9).
      Fix: clear a bit only when no page under it is secure.
      """
    case .bugOn: return """
      bug-on (error, s390-pv): the host kernel would BUG
      Two paths cannot back out when the accessibility hook fails:
      - writeback-start: __folio_start_writeback (mm/page-writeback.c) sets
        PG_writeback, calls arch_make_folio_accessible, then
        VM_BUG_ON_FOLIO(access_ret != 0): "too late to recover here";
      - a kernel-mode access to a secure page: do_secure_storage_access
        (arch/s390/mm/fault.c, PGM 0x3d) takes a reference, calls the
        hook, drops the reference and calls BUG() if the hook failed.
      In the model the hook fails only through inject (UV calls made to
      fail on a page that is still secure or shared): scenario S10.
      Writeback hook: f28d43636d6f (5.7); 0x3d handler: 084ea4d611a3.
      VM_BUG_ON_FOLIO fires only with CONFIG_DEBUG_VM; without it the
      writeback goes on with a page that is still secure. Since
      b00be77302d7 (kernel=next; 6.19.y stable) a kernel fault exports
      with uv_convert_from_secure() and fixes a failure up instead of BUG().
      Fix: find why the UV export failed (rc/rrc); writeback must never
      meet a page that the hook cannot make accessible.
      """
    case .hostSigsegv: return """
      host-sigsegv (error, s390-pv): a host process gets SIGSEGV
      A user-mode host access (e.g. QEMU reading guest memory for a dump)
      hit a secure page (PGM 0x3d) and the fault handler could not make it
      accessible. do_secure_storage_access (arch/s390/mm/fault.c) looks up
      the folio, takes a reference, calls arch_make_folio_accessible and
      sends SIGSEGV to the process if that fails (the VMM usually dies).
      When the hook succeeds the access goes on (secure-access-faults,
      scenario S11): the page is exported and the guest's next touch
      imports it again. In the model the hook fails only through inject.
      Handler: 084ea4d611a3 (5.7, per git blame); hook 214d9bbcd3a6;
      s390 folio hook 99b3f8f76f7a (6.11).
      Fix: find why the export failed; do not read guest memory that the
      guest has not shared.
      """
    case .guestKilled: return """
      guest-killed (error, s390-pv): an import was refused, guest killed
      Under large=refuse (preset refuse) an import of a page in a large
      folio (guest touch, share, or the host side of an unshare) fails
      with -EINVAL and the VMM kills the guest (also under kernel=6.10 for
      the presets split and refuse). So does an import whose UV call fails
      for good (inject fail=import-error): -EINVAL with PG_arch_1 already
      set, which stays set (the over-indication the bit allows). The model
      stops every
      guest actor, including ones first seen later, and drops their
      remaining events (still counted in events); host and device actors
      go on.
      Kernel: in 6.10 gmap_make_secure (arch/s390/kernel/uv.c) returned
      -EINVAL for a large folio, and KVM sends SIGSEGV to the VMM when the
      import returns -EINVAL (arch/s390/kvm/kvm-s390.c). Since 6.11,
      eef88fe45ac9 ("s390/uv: split large folios in gmap_make_secure()")
      splits the folio first.
      Fix: back PV guests with order-0 memory, or use a kernel that splits
      (policy split).
      """
    case .collateralShare: return """
      collateral-share (error, sev/sev-snp): pages exposed that were not shared
      A private -> shared conversion under track=folio with large=allow
      (preset folio) converted the whole folio, so pages the guest never
      asked to share became shared: guest-private data is now readable by
      the host. One finding per folio, naming how many pages were exposed.
      Kernel context: the guest asks with a GHCB Page State Change, KVM
      exits with KVM_HC_MAP_GPA_RANGE and the VMM sets
      KVM_SET_MEMORY_ATTRIBUTES. guest_memfd (virt/kvm/guest_memfd.c,
      kvm_gmem) tracks shareability per page in the 2025-26 in-place
      conversion series and never keeps a huge folio of mixed state: it
      splits on a partial conversion to shared and merges when uniform.
      Fix: convert at page granularity (policy page) or split (policy
      split); never widen a conversion to shared beyond the request.
      """
    case .rmpFault: return """
      rmp-fault (error, sev-snp): host CPU write to a guest-owned page
      A host write reached a page whose RMP entry is assigned to the guest
      (private), directly or through a stale TLB entry (then also
      stale-tlb-access). The RMP check raises an RMP #PF: a host crash
      when the kernel does the write. A write through a 2M host mapping
      that covers an assigned page faults too. Reads are not checked by
      the RMP: they return ciphertext (ciphertext-access). A user access
      to a private gmem page with no stale TLB entry faults first and
      gets SIGBUS from guest_memfd instead (host-sigbus, no finding).
      Kernel: RMPUPDATE is issued by rmpupdate() via rmp_make_private() /
      rmp_make_shared() in arch/x86/virt/svm/sev.c (RMP table set up by
      snp_rmptable_init()); KVM's callers are in arch/x86/kvm/svm/sev.c.
      Fix: write only pages the guest converted to shared; zap and flush
      host mappings before a page is assigned to the guest.
      """
    case .ciphertextAccess: return """
      ciphertext-access (warning/error, sev/sev-snp): host touched a private page
      A host CPU access reached a private page. A read returns ciphertext
      (warning, sev and sev-snp: the RMP does not check hypervisor reads).
      A write under plain SEV silently corrupts guest memory (error);
      under SEV-SNP a write is rmp-fault instead.
      Plain SEV encrypts without integrity: Dave Hansen noted in 2020
      that host user space can read guest ciphertext. Not reported when a
      user access to a private gmem page is refused by guest_memfd
      (SIGBUS, counted in host-sigbus instead): guest_memfd never maps a
      private page into the host.
      Fix: access only shared pages; back private memory with guest_memfd
      so it has no host mapping; flush TLBs before a conversion goes on.
      """
    case .staleTLBAccess: return """
      stale-tlb-access (error, sev/sev-snp): access through a revoked TLB entry
      A host CPU kept a translation for a shared page, a conversion to
      private revoked the mapping, and the CPU accessed the page before a
      flush removed the entry (flush=deferred). The access reaches memory,
      so the finding for a private page follows (rmp-fault or
      ciphertext-access). flush=deferred is a what-if: the kernel's zap
      paths flush before a conversion goes on (scenario S14).
      Context: the 2020-21 deferred TLB flush discussion (Nadav Amit,
      Andrea Arcangeli, Linus Torvalds, Peter Xu): a path that
      write-protects PTEs and flushes later (mm->tlb_flush_pending) lets
      other CPUs write through stale entries; a COW copy in that window
      lost writes in the userfaultfd selftest on 5.10.
      Fix: flush host TLBs before the conversion completes.
      """
    case .cbitMismatch: return """
      cbit-mismatch (error, sev): guest access with the wrong C-bit
      Under plain SEV a guest access whose PTE C-bit disagrees with the
      page's state: a write through an enc PTE to a shared DMA buffer
      leaves ciphertext where host and devices expect plaintext, or the
      reverse. Under SEV-SNP the same access is an implicit conversion.
      Kernel: pgprot_modify() (mprotect_fixup(), do_mmap()) dropped the
      encryption bit until 6db73f17c5f1 ("x86: Don't let pgprot_modify()
      change the page encryption bit", 5.7, stable 5.4/5.5) added it to
      _PAGE_CHG_MASK (knob chg-mask, scenario S12). Splitting a huge
      guest mapping with the C-bit of vm_page_prot does the same (knob
      split-pmd, S13). Thomas Hellstrom, Andy Lutomirski, 2019.
      Fix: run a kernel with 6db73f17c5f1; keep each PTE's C-bit when
      rebuilding or splitting mappings.
      """
    case .unvalidatedAccess: return """
      unvalidated-access (error, sev-snp): access to a page not validated
      A guest access to a page that is assigned to it in the RMP but not
      validated: the hardware raises #VC. It follows a conversion to
      private (a psc, or an implicit conversion when the guest touches a
      shared page through an enc PTE) that no pvalidate on followed.
      Kernel context: Linux guests PVALIDATE a page on after shared ->
      private and off before private -> shared. The guest's GHCB Page
      State Change becomes KVM_HC_MAP_GPA_RANGE to user space, which sets
      KVM_SET_MEMORY_ATTRIBUTES; an access with the other C-bit exits
      with KVM_EXIT_MEMORY_FAULT (implicit conversion).
      Fix: pvalidate PAGES on after every conversion to private, before
      the first access.
      """
    case .pvalidateFailed: return """
      pvalidate-failed (error, sev-snp): PVALIDATE on a page not assigned
      The guest ran pvalidate on for a page whose RMP entry is still hv
      (owned by the hypervisor, not assigned to this guest): PVALIDATE
      fails. A PVALIDATE of a shared gfn is first an implicit conversion
      (npf_interception() marks the fault private, kvm_mmu_faultin_pfn()
      exits with KVM_EXIT_MEMORY_FAULT, the VMM converts), so this is left
      for a conversion that was refused (large=refuse). The replay reports
      it and goes on.
      Not this finding: a 2m PVALIDATE over 4K RMP entries fails with
      FAIL_SIZEMISMATCH (6) and Linux guests redo it as 4K (counted in
      pvalidate-size-mismatch); a 4k PVALIDATE inside a 2M RMP entry makes
      KVM PSMASH the entry (counted in psmash).
      Kernel: PVALIDATE_FAIL_SIZEMISMATCH in arch/x86/include/asm/sev.h;
      psmash() and rmp_make_private() in arch/x86/virt/svm/sev.c.
      Fix: convert the page to private first (psc PAGES private), and
      validate only after the conversion completed.
      """
    case .validationNotRescinded: return """
      validation-not-rescinded (warning, sev-snp): shared while still valid
      The guest converted a page from private to shared without running
      PVALIDATE off first. Under gmem=in-place the RMPUPDATE back to hv
      clears the validated bit; under gmem=separate (mainline) nothing
      touches the RMP until guest_memfd frees the page, so the page stays
      validated, and still is if the gfn turns private again. Either way
      the guest skipped a step of the protocol: Linux guests PVALIDATE
      off before private -> shared. Reported for the requested pages only.
      Kernel: rmp_make_shared() -> rmpupdate() (arch/x86/virt/svm/sev.c);
      mainline calls it from sev_gmem_invalidate() when guest_memfd frees
      the page, not at KVM_SET_MEMORY_ATTRIBUTES after the guest's GHCB
      Page State Change (KVM_HC_MAP_GPA_RANGE).
      Fix: pvalidate PAGES off before psc PAGES shared.
      """
    case .conversionFailed: return """
      conversion-failed (warning, s390-pv/sev/sev-snp): a conversion gave up
      Under wait=bounded:D an import (s390), the host side of an unshare,
      or a SEV conversion waited longer than D for references, writeback
      or the folio lock and failed with -EBUSY; or a SEV conversion of
      part of a large folio was refused (large=refuse). The actor goes on
      with its next event. It is the bounded alternative to hang (S9).
      Kernel context: shmem_wait_for_pins() (mm/shmem.c, memfd sealing,
      2014; later memfd_wait_for_pins() in mm/memfd.c) drains the LRU
      batches, rescans up to four times with growing sleeps (LAST_SCAN 4,
      about 150 ms) and returns -EBUSY if pages are still pinned.
      guest_memfd's shared -> private conversion fails with -EAGAIN while
      extra references remain.
      Fix: release the holder the finding names (often a long-term pin)
      and retry the conversion.
      """
    case .hang: return """
      hang (hang, s390-pv/sev/sev-snp): an actor waits forever
      At the end of the trace an actor is blocked on a folio (its lock,
      the end of its writeback, or its extra references going to zero) and
      what it waits for can never all go away: a long-term pin among the
      holders (FOLL_LONGTERM: virtio rings, vfio, RDMA, released only when
      the device is torn down), a holder that is itself hung, or a chain
      back to the waiter (a deadlock: every actor in it gets a hang).
      Kernel: make_folio_secure freezes the refcount at
      expected_folio_refs() and fails with -EBUSY while any extra
      reference exists; KVM re-enters the guest, which faults again,
      forever. Claudio Imbrenda's objection (2023) to the folio hook: a
      pinned virtio ring page keeps its exported neighbours from being
      imported again (S1); S8 unshares a page a device still pins.
      Fix: keep long-term pins out of folios with secure pages (policy
      page or split), or bound the wait (wait=bounded:150ms).
      """
    case .stall: return """
      stall (warning, s390-pv/sev/sev-snp): still waiting when the trace ended
      At the end of the trace an actor is blocked on a folio, but every
      holder it waits for is short-term: a plain or speculative reference,
      a pin that is not long-term, an LRU batch reference, the folio lock
      or a writeback still running. A longer trace would likely have let
      it go on; the replay just ended first. A writeback is ended by its
      I/O completion (folio_end_writeback() from the bio's end_io), not by
      the thread that started it, so a flusher waiting for its own earlier
      writeback is a stall, not a deadlock.
      Kernel context: speculative references (RCU page-cache lookups,
      GUP-fast) raise the refcount briefly, so the refcount freeze in
      make_folio_secure fails with -EBUSY and the guest retries; LRU batch
      references go away with lru_add_drain() / lru_add_drain_all().
      Fix: usually none in the kernel: end the trace with the holder's
      put, unpin, unlock or writeback-end, and check that the named
      holder really is short-term.
      """
    }
  }
}
