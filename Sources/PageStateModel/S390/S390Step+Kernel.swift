import PageStateTrace

/// The rules that differ between kernel releases, used under `kernel=R`
/// (`KernelRelease`; docs/model-s390.md, "Rules by kernel release").
extension S390Step {
  /// Steps 2-4 of the import as release `r` does them, with the LRU drains
  /// the kernel makes on every failed attempt. Returns the wait, or nil if
  /// the folio is free (after the drains).
  ///
  /// - Folio locked: `folio_trylock()` fails, -EAGAIN, no drain (every release).
  /// - 6.10-6.14, `gmap_make_secure()` (`arch/s390/kernel/uv.c`):
  ///   PG_writeback is -EAGAIN, `folio_wait_writeback()`, no drain; a
  ///   refcount that cannot be frozen is -EBUSY, and `drain_lru()` first
  ///   calls `lru_add_drain()` (the LRU batch of this CPU: the acting
  ///   actor's LRU references) and retries at once, then calls
  ///   `lru_add_drain_all()` and returns -EAGAIN, so the guest faults again
  ///   (the model looks once more at once; `import-retries` += 1 if that
  ///   succeeds).
  /// - 6.15 on, `make_hva_secure()` -> `__make_folio_secure()`: PG_writeback
  ///   and the refcount are both -EBUSY, and every -EBUSY calls
  ///   `s390_wiggle_split_folio()`: `folio_wait_writeback()`,
  ///   `lru_add_drain_all()`, -EAGAIN. The drain is counted when the attempt
  ///   fails (the kernel drains after the writeback wait; the model before).
  ///
  /// `drain=off` suppresses every drain (a what-if).
  func kernelBlocker(_ m: inout Model, _ f: (head: UInt64, index: Int, count: Int), page: UInt64, release r: KernelRelease, what: Action) -> Outcome? {
    let flags = m.memory.entries[f.index].flags
    if flags.contains(.locked) {
      return blocked(.unlock, page: page, folio: f.head, count: f.count, conversion: true, what: what, resumeAt: page)
    }
    if flags.contains(.writeback) {
      if r.drainsOnEveryBusy && m.policy.drain {
        m.memory.drainLRU()
        m.stats.add(.lruDrains)
      }
      return blocked(.writebackEnd, page: page, folio: f.head, count: f.count, conversion: true, what: what, resumeAt: page)
    }
    guard m.memory.entries[f.index].extra > 0 else { return nil }
    if m.policy.drain {
      if !r.drainsOnEveryBusy {
        m.memory.drainLRU(of: actor)
        m.stats.add(.lruDrains)
        if m.memory.entries[f.index].extra == 0 { return nil }
      }
      m.memory.drainLRU()
      m.stats.add(.lruDrains)
      if m.memory.entries[f.index].extra == 0 {
        // -EAGAIN to KVM; the guest faults again and the import succeeds.
        m.stats.add(.importRetries)
        return nil
      }
    }
    return blocked(.references, page: page, folio: f.head, count: f.count, conversion: true, what: what, resumeAt: page)
  }

  /// `kernel=next`: a kernel-mode PGM 0x3d (`do_secure_storage_access()`,
  /// `arch/s390/mm/fault.c`, b00be77302d7) takes a reference
  /// (`folio_try_get()`), calls `uv_convert_from_secure()` without testing
  /// PG_arch_1 and without trying `uv_pin_shared()`, clears PG_arch_1 if the
  /// export succeeded, and on failure fixes the access up with
  /// `handle_fault_error_nolock()` instead of `BUG()`: no `bug-on`.
  func kernelFaultExport(_ m: inout Model, page: UInt64) {
    let f = m.memory.folio(of: page)
    let i = f.index + Int(page - f.head)
    m.stats.call(.export)
    if consume(&m, page, .export) { return }
    setState(&m, index: i, page: page, .exported, why: .named("kernel fault export"))
    m.stats.add(.exports)
    clearPageBit(&m, index: i)
    if m.policy.track == .folio { clearArchBit(&m, index: i, folio: f.index, count: f.count) }
  }

  /// `unmap` (every release): `ptep_get_and_clear()` (`arch/s390/include/asm/pgtable.h`)
  /// calls `uv_convert_from_secure_pte()` for every present PTE of a
  /// protected mm, whatever the page's state: one CONV_FROM_SEC_STOR per
  /// page. A guest-owned page is exported; on a nonsecure or exported page
  /// the call is a no-op that succeeds; PG_arch_1 is cleared when the call
  /// succeeds (`uv_convert_from_secure_folio()`); an injected failure leaves
  /// the page and its bit (the kernel's `WARN_ON_ONCE`).
  func kernelUnmapExport(_ m: inout Model, index i: Int, page: UInt64, folio f: (head: UInt64, index: Int, count: Int)) {
    if consume(&m, page, .export) {
      m.stats.call(.export)
      return
    }
    if state(&m, index: i).isGuestOwned {
      m.stats.call(.export)
      m.stats.add(.exports)
      setState(&m, index: i, page: page, .exported, why: .named("unmap"))
    } else {
      m.stats.call(.noOp)
    }
    clearPageBit(&m, index: i)
    if m.policy.track == .folio { clearArchBit(&m, index: i, folio: f.index, count: f.count) }
  }
}
