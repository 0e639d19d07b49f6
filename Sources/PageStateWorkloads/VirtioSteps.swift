import PageStateTrace

/// virtio: the guest shares one ring page per 4096 pages (at a folio head);
/// the VMM pins each ring long-term (vhost, for the device's life); the NIC
/// reads and writes the rings; vCPUs touch the rings' neighbours and other
/// pages; vhost reads the rings; the VMM does short pinned I/O elsewhere.
struct VirtioSteps {
  let region: PageRange
  let folio: UInt64
  var rings: [UInt64] = []

  init(region: PageRange, folio: UInt64) {
    self.region = region
    self.folio = folio
    let count = max(1, region.count / 4096)
    let stride = max(folio, (region.count / count) / folio * folio)
    var page = region.first
    while rings.count < count && page < region.end {
      rings.append(page)
      page += stride
    }
  }

  func setUp(_ g: inout Generator) {
    for ring in rings {
      g.emit("vcpu0", "share", ring)
      g.emit("qemu", "pin", ring, " longterm write")
    }
  }

  mutating func step(_ g: inout Generator) {
    let ring = rings[Int(g.rng.below(UInt64(rings.count)))]
    let r = g.rng.percent()
    if r < 45 {
      g.emit("nic", "dma", ring, r & 1 == 0 ? " write" : " read")
    } else if r < 80 {
      // A neighbour of the ring in its folio, or any page.
      let page = (r & 1 == 0 && folio > 1) ? ring + 1 + g.rng.below(folio - 1) : g.page(in: region)
      g.emit(g.vcpu(), "touch", page, " write")
    } else if r < 90 {
      g.emit("vhost", "access", ring, " read")
    } else {
      var page = g.page(in: region)
      if rings.contains(page & ~(folio - 1)) { page = ring }  // keep clear of the rings' folios
      g.emit("qemu", "pin", page, " write")
      g.emit("disk", "dma", page, " read")
      g.emit("qemu", "unpin", page)
    }
  }
}

/// writeback: a vCPU dirties a page of a file folio, the flusher starts
/// writeback on the folio (its hook makes the folio accessible), the disk
/// writes it, a vCPU touches the folio during the writeback (the import
/// waits for writeback-end), then the I/O and the writeback end.
struct WritebackSteps {
  let region: PageRange
  let folio: UInt64

  func step(_ g: inout Generator) {
    let head = region.first + g.rng.below(region.count / folio) * folio
    g.emit(g.vcpu(), "touch", head + g.rng.below(folio), " write")
    g.out.event("flusher", "writeback-start")
    g.pages(head, folio)
    g.out.end()
    g.out.event("disk", "dma-start")
    g.pages(head, folio)
    g.out.text(" write id=wb")
    g.out.end()
    g.emit(g.vcpu(), "touch", head + g.rng.below(folio), " write")
    g.out.event("disk", "dma-end")
    g.out.text("id=wb")
    g.out.end()
    g.out.event("flusher", "writeback-end")
    g.pages(head, folio)
    g.out.end()
  }
}

/// Direct I/O: FOLL_PIN (the hook runs; 6.5+ `iov_iter_extract_pages()`),
/// speculative references across a guest touch, LRU batches drained now and
/// then, and plain guest touches. With `--with foll-get`, a share of the I/O
/// takes FOLL_GET references instead (no hook: I/O on secure pages); with
/// `--with hook-before-marker`, a share calls the hook before its reference.
struct DirectIOSteps {
  let region: PageRange
  let folio: UInt64
  var lruPending = 0

  mutating func step(_ g: inout Generator) {
    let page = g.page(in: region)
    let r = g.rng.percent()
    if r < 40 {
      g.emit("qemu", "pin", page, " write")
      g.emit("disk", "dma", page, r & 1 == 0 ? " write" : " read")
      g.emit("qemu", "unpin", page)
    } else if r < 45 {
      if g.parameters.races.contains(.follGet) {
        g.emit("qemu", "get", page)
        g.emit("disk", "dma", page, " read")
        g.emit("qemu", "put", page)
      } else {
        g.emit("qemu", "pin", page)
        g.emit("disk", "dma", page, " read")
        g.emit("qemu", "unpin", page)
      }
    } else if r < 48 && g.parameters.races.contains(.hookBeforeMarker) {
      g.emit("qemu", "make-accessible", page)
      g.emit(g.vcpu(), "touch", page, " write")
      g.emit("qemu", "get", page)
      g.emit("disk", "dma", page, " read")
      g.emit("qemu", "put", page)
    } else if r < 60 {
      g.emit("vhost", "spec-get", page)
      g.emit(g.vcpu(), "touch", page, " write")
      g.emit("vhost", "spec-put", page)
    } else if r < 75 {
      g.emit("qemu", "lru-add", page)
      g.emit(g.vcpu(), "touch", page, " write")
      lruPending += 1
      if lruPending >= 16 {
        g.out.event("qemu", "lru-drain")
        g.out.end()
        lruPending = 0
      }
    } else {
      g.emit(g.vcpu(), "touch", page, " write")
    }
  }
}

/// SEV-SNP: vCPUs share pages of guest_memfd huge folios with devices
/// (PVALIDATE off, Page State Change, a decrypted PTE), the VMM pins them for
/// DMA, a host CPU reads and writes them, and the guest takes them back
/// (Page State Change, encrypted PTE, PVALIDATE on); other pages are touched
/// privately; now and then a TLB flush.
struct SNPSteps {
  let region: PageRange
  var shared: [UInt64] = []
  static let maxShared = 64

  init(region: PageRange) {
    self.region = region
  }

  func setUp(_ g: inout Generator) {}

  mutating func step(_ g: inout Generator) {
    let r = g.rng.percent()
    if r < 20 && shared.count < SNPSteps.maxShared {
      let page = g.page(in: region)
      if shared.contains(page) { return }
      let v = g.vcpu()
      g.emit(v, "pvalidate", page, " off")
      g.emit(v, "psc", page, " shared")
      g.emit(v, "gpte", page, " dec")
      shared.append(page)
    } else if r < 50 && !shared.isEmpty {
      let page = shared[Int(g.rng.below(UInt64(shared.count)))]
      g.emit("qemu", "pin", page, " write")
      g.emit("nic", "dma", page, r & 1 == 0 ? " write" : " read")
      g.emit("qemu", "unpin", page)
    } else if r < 65 && !shared.isEmpty {
      let page = shared[Int(g.rng.below(UInt64(shared.count)))]
      g.emit("cpu1", "access", page, r & 1 == 0 ? " write" : " read")
    } else if r < 75 && !shared.isEmpty {
      let page = shared.remove(at: Int(g.rng.below(UInt64(shared.count))))
      let v = g.vcpu()
      g.emit(v, "psc", page, " private")
      g.emit(v, "gpte", page, " enc")
      g.emit(v, "pvalidate", page, " on")
    } else if r < 77 {
      g.out.event("qemu", "flush")
      g.out.end()
    } else {
      var page = g.page(in: region)
      if shared.contains(page) { page = region.first + (page + 1 - region.first) % region.count }
      if shared.contains(page) { return }
      g.emit(g.vcpu(), "touch", page, " write")
    }
  }
}
