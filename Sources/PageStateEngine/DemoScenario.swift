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
}
