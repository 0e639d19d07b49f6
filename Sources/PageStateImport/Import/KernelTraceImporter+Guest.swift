import PageStateTrace

/// The confidential guest laid over the host's trace (`--guest`): the
/// events a protected guest must have done for the host's events to mean
/// what they do on s390 PV or SEV. They are derived, never read; each says
/// so in its `# from` comment, and docs/import.md ("The guest overlay")
/// gives the rules G1-G3.
extension KernelTraceImporter {
  /// G1, boot: an s390 PV guest's memory is imported as the guest first
  /// touches it; a guest folio is declared `nonsecure` and touched at once,
  /// by the guest actor of that folio. (SEV memory is declared `private`.)
  func guestBoot(_ f: Int32, time: UInt64) {
    guard options.architecture == .s390PV else { return }
    let folio = folios[Int(f)]
    event(guestActor(f), "touch", folio.head, folio.pageCount, "write", time: time, from: "(guest: boot, every page imported)")
    summary.derived += 1
  }

  /// G2, I/O buffers: with `--guest-io shared`, the guest shares a page
  /// before the host's first reference or pin on it (s390 `share`: UV
  /// SET_SHARED_ACCESS; SEV `psc ... shared`), as a guest driver does with
  /// every buffer it hands to the host (virtio, swiotlb).
  func guestShare(_ f: Int32, _ page: UInt64, _ count: UInt64, time: UInt64) throws(TraceError) {
    guard options.guestIO == .shared else { return }
    let head = folios[Int(f)].head
    var q = page
    let end = page + count
    while q < end {
      // The next run of pages not yet shared.
      while q < end && isShared(f, q - head) { q += 1 }
      let s = q
      while q < end && !isShared(f, q - head) {
        folios[Int(f)].shared[Int((q - head) / 64)] |= 1 << ((q - head) % 64)
        q += 1
      }
      guard q > s else { continue }
      if options.architecture == .s390PV {
        event(guestActor(f), "share", s, q - s, time: time, from: "(guest: shares its I/O buffer first, --guest-io shared)")
      } else {
        event(guestActor(f), "psc", s, q - s, "shared", time: time, from: "(guest: converts its I/O buffer to shared first, --guest-io shared)")
      }
      summary.derived += 1
    }
  }

  func isShared(_ f: Int32, _ offset: UInt64) -> Bool {
    folios[Int(f)].shared[Int(offset / 64)] & (1 << (offset % 64)) != 0
  }

  /// G3, the guest goes on: after a host event that runs the accessibility
  /// hook (a pin, `writeback-start`), the s390 guest touches its folio
  /// again; a page the hook exported is imported again and waits for what
  /// holds the folio (a long-term pin: forever).
  func guestTouch(_ f: Int32, time: UInt64) {
    guard options.architecture == .s390PV else { return }
    let folio = folios[Int(f)]
    event(guestActor(f), "touch", folio.head, folio.pageCount, "write", time: time, from: "(guest: its next access to the folio)")
    summary.derived += 1
  }
}
