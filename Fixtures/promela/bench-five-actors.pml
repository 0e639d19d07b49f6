/*
 * bench-five-actors.pml -- benchmark only (issue 6, docs/explore-vs-spin.md).
 *
 * Fixtures/explore/bench-five-actors.trace under the `split` preset
 * (track=page, hook=page, large=split, folio-hook=each), for a throughput
 * comparison with `pagestate explore`: the same rules (docs/model-s390.md),
 * ONE atomic step per trace event, and no reachable violation, so both
 * tools visit the whole state space. The only steps that can wait are the
 * imports on page 0x1 (vhost's pin) -- the other folios never have a
 * reference when a guest imports them, and nobody imports the flusher's
 * folio, so its PG_writeback never blocks anything and is not modelled.
 *
 *   trace line                          Promela
 *   memory 0x0..0x2, 0x10..0x12 anon    p0 p1 p2, q0 q1 q2 = NONSECURE, bits clear
 *   memory 0x20 file state=secure       r = SECURE, rbit = 1, rref = 0
 *   memory 0x30..0x33 order=2 file      w[0..3] = SECURE, wbit[0..3] = 1
 *          state=secure
 *   vcpu0:   touch 0x0 / share 0x1 / touch 0x2 / unshare 0x1
 *   vcpu1:   touch 0x10 / touch 0x11 / share 0x11 / touch 0x12
 *   qemu:    get 0x20 / make-accessible 0x20 / dma 0x20 / put 0x20
 *   vhost:   pin 0x1 / dma 0x1 / unpin 0x1
 *   flusher: access 0x30 read / writeback-start 0x30..0x33 / writeback-end
 *
 * Properties, as pagestate's findings of severity error or hang:
 * io-on-secure = the assertions at the dma steps; hang/stall = an invalid
 * end state (an import that waits forever). Neither is reachable.
 */

mtype = { NONSECURE, SECURE, SHARED, PINNED_SHARED, EXPORTED };

mtype p0 = NONSECURE, p1 = NONSECURE, p2 = NONSECURE;   /* vcpu0's pages */
bit   b0, b1, b2;                                        /* their PG_arch_1 */
byte  ref1;                                              /* extra refs, folio 0x1 */
mtype q0 = NONSECURE, q1 = NONSECURE, q2 = NONSECURE;   /* vcpu1's pages */
bit   c0, c1, c2;
mtype r = SECURE;  bit rbit = 1;  byte rref;             /* qemu's page 0x20 */
mtype w[4] = SECURE;  bit wbit[4] = 1;                   /* the flusher's folio */

/* import (make_folio_secure): wait while the folio has extra references,
 * then the bit, then the UV call */
inline import(s, b, ref) { (ref == 0); b = 1; s = SECURE }
inline touch(s, b, ref) {
  if
  :: s == NONSECURE || s == EXPORTED -> import(s, b, ref)
  :: else -> skip
  fi
}
inline share(s, b, ref) {
  touch(s, b, ref);
  if
  :: s == SECURE -> s = SHARED
  :: else -> skip
  fi
}
/* the page hook: bit clear -> nothing; PIN_PAGE_SHARED on a shared page;
 * else CONV_FROM_SEC_STOR (secure -> exported; no-op otherwise); bit cleared */
inline hook(s, b) {
  if
  :: b ->
     if
     :: s == SHARED || s == PINNED_SHARED -> s = PINNED_SHARED
     :: s == SECURE -> s = EXPORTED
     :: else -> skip
     fi;
     b = 0
  :: else -> skip
  fi
}

active proctype vcpu0() {
  atomic { touch(p0, b0, 0) }            /* touch 0x0 write */
  atomic { share(p1, b1, ref1) }         /* share 0x1 */
  atomic { touch(p2, b2, 0) }            /* touch 0x2 */
  atomic {                               /* unshare 0x1 */
    if
    :: p1 == SHARED -> p1 = SECURE
    :: p1 == PINNED_SHARED -> import(p1, b1, ref1)   /* intercept: UNPIN_PAGE_SHARED */
    :: else -> skip
    fi
  }
}

active proctype vcpu1() {
  atomic { touch(q0, c0, 0) }            /* touch 0x10 write */
  atomic { touch(q1, c1, 0) }            /* touch 0x11 */
  atomic { share(q1, c1, 0) }            /* share 0x11 */
  atomic { touch(q2, c2, 0) }            /* touch 0x12 */
}

active proctype qemu() {
  rref++;                                /* get 0x20 via=odirect */
  atomic { hook(r, rbit) }               /* make-accessible 0x20 */
  assert(r != SECURE);                   /* dma 0x20 read */
  rref--                                 /* put 0x20 */
}

active proctype vhost() {
  atomic { ref1++; hook(p1, b1) }        /* pin 0x1 write: the pin, then the page hook */
  assert(p1 != SECURE);                  /* dma 0x1 write */
  ref1--                                 /* unpin 0x1 */
}

active proctype flusher() {
  atomic {                               /* access 0x30 read: PGM 0x3d on a secure page, */
    if                                   /* the fault path's hook (its reference is taken */
    :: w[0] == SECURE -> hook(w[0], wbit[0])   /* and dropped inside the event) */
    :: else -> skip
    fi
  }
  atomic {                               /* writeback-start 0x30..0x33: the folio hook */
    hook(w[0], wbit[0]); hook(w[1], wbit[1]); hook(w[2], wbit[2]); hook(w[3], wbit[3])
  }
  skip                                   /* writeback-end 0x30..0x33 */
}
