/*
 * S1-touch-before-pin.pml -- benchmark only (issue 6, spec performance.md P5).
 *
 * The race of Fixtures/explore/S01-touch-before-pin.trace under the `folio`
 * preset (track=folio, hook=folio, large=allow, folio-hook=each, drain=on,
 * wait=forever), written with the same rules as pagestate's s390 model
 * (docs/model-s390.md) at the same granularity: ONE atomic step per trace
 * event. The only place where an atomic step can stop half-way is the wait of
 * an import (make_folio_secure -> -EBUSY while the folio has extra
 * references): the process then blocks there, exactly as pagestate blocks the
 * actor and later resumes the event at the page it blocked on.
 *
 *   trace line                        Promela
 *   memory 0x0..0x3 order=2 anon      page[0..3] = NONSECURE, fbit = 0, extra = 0
 *   vcpu0: touch 0x0..0x3 write       vcpu0, step 1: import pages 0,1,2,3 in order
 *   vcpu0: share 0x0                  vcpu0, step 2: import if not guest-owned, secure -> shared
 *   vcpu0: touch 0x1 write            vcpu0, step 3: import page 1 if nonsecure/exported
 *   qemu:  pin 0x0 longterm write     qemu, step 1: extra++ (never unpinned), folio hook
 *   qemu:  dma 0x0 write              qemu, step 2: assert page 0 is not secure (io-on-secure)
 *
 * The finding pagestate reports is `hang`: no actor can move and vcpu0 is
 * blocked on an import whose folio holds a long-term pin that is never
 * released. Here that is spin's *invalid end state*: vcpu0 stopped at the
 * wait `(extra == 0)`, which is not an end state, and qemu has terminated.
 * (Every blocked wait in this model is on that pin, so every invalid end
 * state is a pagestate `hang`, and every pagestate `hang` here is one.)
 *
 * Not modelled because the scenario cannot reach them: folio lock,
 * writeback, LRU batches (so the import's drain is a no-op), injected UV
 * failures (so the hook never fails), unmap; nor the statistics
 * (collateral-exports, spurious-uv-calls, ...) and warnings (unprotected-io),
 * which are not findings of severity error.
 */

mtype = { NONSECURE, SECURE, SHARED, PINNED_SHARED, EXPORTED };

mtype page[4] = NONSECURE;   /* memory 0x0..0x3 order=2 backing=anon */
bit   fbit = 0;              /* track=folio: one PG_arch_1 for the folio */
byte  extra = 0;             /* extra references of the folio (above its baseline) */

/* make_folio_secure (import) of page p, docs/model-s390.md "Import":
 * step 1 large=allow: go on with the order-2 folio;
 * steps 2-3: never locked, never under writeback here;
 * step 4: extra references -> -EBUSY: wait until the folio's references
 *         change (the only reference is the long-term pin: forever);
 * step 5: set the folio's bit, then the UV call: the page is secure. */
inline import(p) {
  (extra == 0);
  fbit = 1;
  page[p] = SECURE
}

/* guest access: a nonsecure or exported page faults (PGM 0x3e) and is imported */
inline touch(p) {
  if
  :: page[p] == NONSECURE || page[p] == EXPORTED -> import(p)
  :: else -> skip
  fi
}

/* one page of the folio hook (folio-hook=each): PIN_PAGE_SHARED on a shared
 * or pinned-shared page; else CONV_FROM_SEC_STOR: a secure page is exported,
 * a nonsecure or exported one is a no-op that succeeds. */
inline visit(p) {
  if
  :: page[p] == SHARED || page[p] == PINNED_SHARED -> page[p] = PINNED_SHARED
  :: page[p] == SECURE -> page[p] = EXPORTED
  :: else -> skip
  fi
}

/* arch_make_folio_accessible under track=folio: the folio bit is tested once;
 * if set, every page in order; the bit is cleared at the end (the hook cannot
 * fail here and no page is left secure after it). */
inline folio_hook() {
  if
  :: fbit ->
     visit(0); visit(1); visit(2); visit(3);
     fbit = 0
  :: else -> skip
  fi
}

active proctype vcpu0() {
  /* touch 0x0..0x3 write: boot, every page imported (a wait resumes at its page) */
  atomic { touch(0); touch(1); touch(2); touch(3) }
  /* share 0x0: import first if not guest-owned, then secure -> shared */
  atomic {
    if
    :: page[0] == NONSECURE || page[0] == EXPORTED -> import(0)
    :: else -> skip
    fi;
    if
    :: page[0] == SECURE -> page[0] = SHARED
    :: else -> skip
    fi
  }
  /* touch 0x1 write: the neighbour page */
  atomic { touch(1) }
}

active proctype qemu() {
  /* pin 0x0 longterm write: the pin (a reference, never released), then the
   * hook, folio scope under the folio preset */
  atomic { extra++; folio_hook() }
  /* dma 0x0 write: a device access to a secure page is io-on-secure */
  assert(page[0] != SECURE)
}
