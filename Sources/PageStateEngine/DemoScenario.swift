/// The built-in scenario of `pagestate` with no arguments: S1, the virtio ring
/// in a large folio (Claudio Imbrenda's objection to the 2023 folio
/// conversion of `arch_make_page_accessible`).
public enum DemoScenario {
  public static let fileName = "demo:S1-virtio-ring-large-folio.trace"

  public static let trace = """
    pagestate 1
    arch s390-pv
    # S1: a virtio ring page in a large folio (Claudio Imbrenda, 2023).
    memory 0x0..0x3 order=2 backing=anon        # one 16 KiB anonymous folio

    vcpu0:  touch 0x0..0x3 write                 # boot: every page imported (secure)
    vcpu0:  share 0x0                            # the virtio ring page (SET_SHARED_ACCESS)
    qemu:   pin 0x0 longterm write               # vhost pins it for the device's life
    virtio: dma 0x0 write                        # the device writes the ring
    vcpu0:  touch 0x1 write                      # the guest touches a neighbour page

    expect clean policy=page
    expect hang actor=vcpu0 policy=folio
    expect stat collateral-exports=3 policy=folio
    expect clean policy=split
    expect guest-killed policy=refuse

    """

  public static let snpFileName = "demo:S15-share-4k-of-2m-folio.trace"

  /// The second panel: S15, a SEV-SNP guest shares one 4K page of a 2 MiB
  /// private guest_memfd folio and takes it back. The same scenario as
  /// `Fixtures/sev/S15-share-4k-of-2m-folio.trace` (the reference; see
  /// docs/model-sev.md): the same statements, so the same findings and
  /// statistics under every preset.
  public static let snpTrace = """
    pagestate 1
    arch sev-snp
    # S15: one 4K page shared out of a 2 MiB private guest_memfd folio.
    policy gmem=in-place   # the guest_memfd in-place conversion series (2025-26, unmerged)
    memory 0x0..0x1ff order=9 backing=gmem state=private

    vcpu0: pvalidate 0x10 off                    # rescind validation first (4K in a 2M RMP entry)
    vcpu0: psc 0x10 shared                       # GHCB Page State Change to shared
    vcpu0: gpte 0x10 dec                         # then clear the C-bit
    @1ms vcpu0: gpte 0x10 enc                    # taking it back: the C-bit first
    vcpu0: psc 0x10 private                      # then the Page State Change to private
    vcpu0: pvalidate 0x10 on
    vcpu0: touch 0x10 write                      # the guest uses the page again
    vcpu0: touch 0x11 write                      # and its neighbour, never shared

    expect clean policy=page
    expect stat psmash=1 policy=page
    expect collateral-share policy=folio
    expect unvalidated-access page=0x11 policy=folio
    expect clean policy=split
    expect stat splits=1 policy=split
    expect stat merges=1 policy=split
    expect conversion-failed policy=refuse
    expect clean policy=refuse

    """
}
