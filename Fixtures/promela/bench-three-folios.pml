/*
 * bench-three-folios.pml -- benchmark only (issue 14, docs/explore-vs-spin.md).
 *
 * Fixtures/explore/bench-three-folios.trace under the `page` preset (track=page,
 * hook=page, large=allow): 3 order-2 anon folios, 3 guests and two host
 * actors, ONE atomic step per trace event, the rules of docs/model-s390.md
 * as in bench-five-actors.pml. No reachable violation, so both tools visit
 * the whole state space. References are per folio (ref[f]); an import waits
 * while its folio has extra references: the guard (ref[f] == 0) inside the
 * event's atomic block, where the process blocks and resumes, as pagestate
 * blocks the actor and retries the event.
 *
 *   trace line                             Promela
 *   memory 0x0..0xb, order=2 anon        pg[0..11] = NONSECURE, pb[] = 0, ref[0..2] = 0
 *   vcpuG: touch p write / share p         atomic { touch(p, f) } / atomic { share(p, f) }
 *   qemu/vhost: pin p write                atomic { ref[f]++; hook(p) }  (the pin, then the page hook)
 *   qemu/vhost: dma p write                assert(pg[p] != SECURE)  (io-on-secure)
 *   qemu/vhost: unpin p                    ref[f]--
 *
 * Generated for 3 folios; bench-three-folios.pml and bench-six-actors.pml
 * differ only in n.
 */

mtype = { NONSECURE, SECURE, SHARED, PINNED_SHARED, EXPORTED };

mtype pg[12] = NONSECURE;   /* page states */
bit   pb[12];               /* PG_arch_1 per page (track=page) */
byte  ref[3];              /* extra references per folio */

/* import (make_folio_secure): wait while the folio has extra references,
 * then the bit, then the UV call */
inline import(p, f) { (ref[f] == 0); pb[p] = 1; pg[p] = SECURE }
inline touch(p, f) {
  if
  :: pg[p] == NONSECURE || pg[p] == EXPORTED -> import(p, f)
  :: else -> skip
  fi
}
inline share(p, f) {
  touch(p, f);
  if
  :: pg[p] == SECURE -> pg[p] = SHARED
  :: else -> skip
  fi
}
/* the page hook: bit clear -> nothing; PIN_PAGE_SHARED on a shared page;
 * else CONV_FROM_SEC_STOR (secure -> exported; no-op otherwise); bit cleared */
inline hook(p) {
  if
  :: pb[p] ->
     if
     :: pg[p] == SHARED || pg[p] == PINNED_SHARED -> pg[p] = PINNED_SHARED
     :: pg[p] == SECURE -> pg[p] = EXPORTED
     :: else -> skip
     fi;
     pb[p] = 0
  :: else -> skip
  fi
}

active proctype vcpu0() {
  atomic { touch(0, 0) };        /* touch 0x0 write */
  atomic { touch(1, 0) };        /* touch 0x1 write */
  atomic { touch(2, 0) };        /* touch 0x2 write */
  atomic { touch(3, 0) };        /* touch 0x3 write */
  atomic { share(0, 0) };        /* share 0x0 */
  atomic { touch(5, 1) }         /* touch 0x5 */
}

active proctype vcpu1() {
  atomic { touch(4, 1) };        /* touch 0x4 write */
  atomic { touch(5, 1) };        /* touch 0x5 write */
  atomic { touch(6, 1) };        /* touch 0x6 write */
  atomic { touch(7, 1) };        /* touch 0x7 write */
  atomic { share(4, 1) };        /* share 0x4 */
  atomic { touch(9, 2) }         /* touch 0x9 */
}

active proctype vcpu2() {
  atomic { touch(8, 2) };        /* touch 0x8 write */
  atomic { touch(9, 2) };        /* touch 0x9 write */
  atomic { touch(10, 2) };       /* touch 0xa write */
  atomic { touch(11, 2) };       /* touch 0xb write */
  atomic { share(8, 2) };        /* share 0x8 */
  atomic { touch(1, 0) }         /* touch 0x1 */
}

active proctype qemu() {
  atomic { ref[0]++; hook(0) };   /* pin 0x0 write */
  assert(pg[0] != SECURE);         /* dma 0x0 write */
  ref[0]--;                         /* unpin 0x0 */
  atomic { ref[1]++; hook(4) };   /* pin 0x4 write */
  assert(pg[4] != SECURE);         /* dma 0x4 write */
  ref[1]--;                         /* unpin 0x4 */
  atomic { ref[2]++; hook(8) };   /* pin 0x8 write */
  assert(pg[8] != SECURE);         /* dma 0x8 write */
  ref[2]--                          /* unpin 0x8 */
}

active proctype vhost() {
  atomic { ref[0]++; hook(2) };   /* pin 0x2 write */
  assert(pg[2] != SECURE);         /* dma 0x2 write */
  ref[0]--;                         /* unpin 0x2 */
  atomic { ref[1]++; hook(6) };   /* pin 0x6 write */
  assert(pg[6] != SECURE);         /* dma 0x6 write */
  ref[1]--;                         /* unpin 0x6 */
  atomic { ref[2]++; hook(10) };   /* pin 0xa write */
  assert(pg[10] != SECURE);         /* dma 0xa write */
  ref[2]--                          /* unpin 0xa */
}

