/*
 * S4-wrong-order.pml -- benchmark only (issue 6, spec performance.md P5).
 *
 * The race of Fixtures/explore/S04-wrong-order-race.trace under the `split`
 * preset (track=page, hook=page, large=split: the folio is order 0, so the
 * split never happens and the four presets behave alike), written with the
 * same rules as pagestate's s390 model (docs/model-s390.md) at the same
 * granularity: ONE atomic step per trace event. The guest's import is the
 * only step that can wait (-EBUSY while the folio has extra references); the
 * process then blocks inside its atomic step, as pagestate blocks the actor.
 *
 *   trace line                        Promela
 *   memory 0x0 backing=file           page = SECURE, pbit = 1 (the rule: secure
 *          state=secure                 => bit set), extra = 0
 *   qemu:  make-accessible 0x0        qemu, step 1: page hook
 *   qemu:  get 0x0                    qemu, step 2: extra++ (FOLL_GET: no hook)
 *   qemu:  dma 0x0 read               qemu, step 3: assert page is not secure (io-on-secure)
 *   qemu:  put 0x0                    qemu, step 4: extra--
 *   vcpu0: touch 0x0 write            vcpu0, step 1: import if nonsecure/exported
 *
 * The property is pagestate's `io-on-secure`: a device access to a secure
 * page, here the assertion at the dma step. (The hook-without-marker
 * warning at make-accessible is a warning, not a finding of severity
 * error, and is not modelled; nor are the statistics.)
 */

mtype = { NONSECURE, SECURE, SHARED, PINNED_SHARED, EXPORTED };

mtype page = SECURE;   /* memory 0x0 backing=file state=secure */
bit   pbit = 1;        /* track=page: the page's PG_arch_1, set for state=secure */
byte  extra = 0;       /* extra references of the order-0 folio */

active proctype qemu() {
  /* make-accessible 0x0: arch_make_page_accessible, holding nothing.
   * Bit clear: nothing. Else PIN_PAGE_SHARED on a shared/pinned-shared page,
   * else CONV_FROM_SEC_STOR (a secure page is exported; a nonsecure or
   * exported one is a no-op); the bit is cleared on success. */
  atomic {
    if
    :: pbit ->
       if
       :: page == SHARED || page == PINNED_SHARED -> page = PINNED_SHARED
       :: page == SECURE -> page = EXPORTED
       :: else -> skip
       fi;
       pbit = 0
    :: else -> skip
    fi
  }
  /* get 0x0 via FOLL_GET: the marker, too late; no hook */
  extra++;
  /* dma 0x0 read: the kernel path's own I/O */
  assert(page != SECURE);
  /* put 0x0 */
  extra--
}

active proctype vcpu0() {
  /* touch 0x0 write: a nonsecure or exported page faults (PGM 0x3e) and is
   * imported (make_folio_secure): no lock, no writeback here; extra
   * references -> -EBUSY, wait until they go; then the bit, then the UV call. */
  atomic {
    if
    :: page == NONSECURE || page == EXPORTED ->
       (extra == 0);
       pbit = 1;
       page = SECURE
    :: else -> skip
    fi
  }
}
