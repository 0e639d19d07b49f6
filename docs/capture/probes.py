#!/usr/bin/env python3
"""probes.py VMLINUX > probes.txt
   probes.py --bpftrace VMLINUX > pst.bt

Writes the kprobe/kretprobe definitions of the capture (tracefs
`dynamic_events` syntax, group `pst`) for one kernel, from that kernel's own
BTF: function arguments are named (`$argN` found by the parameter's name),
and every field behind a pointer is fetched at the offset BTF gives for that
kernel (struct page/folio, bio, bio_vec, pipe_buffer, folio_batch,
io_mapped_ubuf, address_space, inode) and the PG_head bit of `enum
pageflags`. So one table serves 6.1, 6.12 and the kernels in between, where
functions were renamed (internal_get_user_pages_fast -> gup_fast_fallback,
try_grab_page -> try_grab_folio_fast) or lost parameters (vmas, 6.5).

VMLINUX is an ELF image with a .BTF section (capture.sh extracts it from
/boot/vmlinuz-*); needs `pahole` (dwarves) and `bpftool`.

The field names are the contract with `pagestate import` (docs/import.md):
page= folio= (struct page / struct folio pointers), flags= (FOLL_* flags),
refs=, head= (PG_head of the pointed page) and order= (folio order, valid when
head=1), chead= (page->compound_head; bit 0 set on a tail page) and torder=
(the order read through it, valid when chead is odd), ref= (refcount),
mapping= (bit 0 = anonymous), vmemmap= (vmemmap_base, to turn a pointer into
a pfn), pg={...} (arrays of page pointers), bvec={page,len|off<<32,...}.
A definition whose function does not exist in the kernel is left out, with a
comment saying so.
"""
import re
import subprocess
import sys

BPFTRACE = sys.argv[1] == "--bpftrace"
VMLINUX = sys.argv[-1]


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


BTF = run("bpftool", "btf", "dump", "file", VMLINUX)


def params():
    """function name -> parameter names, from the FUNC / FUNC_PROTO records"""
    protos = {}
    funcs = {}
    cur = None
    for line in BTF.splitlines():
        if line.startswith("["):
            cur = None
            m = re.match(r"\[(\d+)\] FUNC_PROTO ", line)
            if m:
                cur = protos.setdefault(int(m.group(1)), [])
                continue
            m = re.match(r"\[\d+\] FUNC '([^']+)' type_id=(\d+)", line)
            if m:
                funcs.setdefault(m.group(1), int(m.group(2)))
        elif cur is not None:
            m = re.match(r"\s+'([^']*)' type_id=", line)
            if m:
                cur.append(m.group(1))
    return {f: protos.get(t, []) for f, t in funcs.items()}


PARAMS = params()


def struct(name):
    """field -> (offset, size, array length) of a struct or union, from pahole"""
    out = run("pahole", "-F", "btf", "-C", name, VMLINUX)
    fields = {}
    for line in out.splitlines():
        m = re.match(r"\s+.*?[\s*]\**(\w+)(\[(\d*)\])?;\s+/\*\s+(\d+)\s+(\d+)", line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = (int(m.group(4)), int(m.group(5)), int(m.group(3) or 0))
    return fields


def enum_value(enum, name):
    out = run("pahole", "-F", "btf", "-C", enum, VMLINUX)
    m = re.search(r"\b%s\s*=\s*(\d+)" % name, out)
    return int(m.group(1))


PAGE = struct("page")
FOLIO = struct("folio")
PG_HEAD = enum_value("pageflags", "PG_head")
# The folio order: its own byte until 6.5, the low byte of _flags_1 since
# ("mm: free up a word in the first tail page", 6.6).
ORDER = FOLIO["_folio_order"][0] if "_folio_order" in FOLIO else FOLIO["_flags_1"][0]
CHEAD = PAGE["compound_head"][0]
REF = FOLIO["_refcount"][0]
MAPPING = FOLIO["mapping"][0]
INDEX = FOLIO["index"][0]
HOST = struct("address_space")["host"][0]
INO = struct("inode")["i_ino"][0]
BIO = struct("bio")
PIPE = struct("pipe_buffer")
BATCH = struct("folio_batch")
UBUF = struct("io_mapped_ubuf")
KIOCB = struct("kiocb")
ITER = struct("iov_iter")


def page_fields(p, name="page"):
    """a struct page pointer and what identifies its folio"""
    return (f"{name}={p}:x64 head=+0({p}):b1@{PG_HEAD}/64 order=+{ORDER}({p}):u8 "
            f"chead=+{CHEAD}({p}):x64 torder=+{ORDER - 1}(+{CHEAD}({p})):u8 "
            f"ref=+{REF}({p}):s32 mapping=+{MAPPING}({p}):x64")


def folio_fields(p, inode=False):
    s = f"folio={p}:x64 head=+0({p}):b1@{PG_HEAD}/64 order=+{ORDER}({p}):u8 ref=+{REF}({p}):s32"
    if inode:
        s += f" index=+{INDEX}({p}):u64 ino=+{INO}(+{HOST}(+{MAPPING}({p}))):u64"
    return s


# (event, candidate functions (first that exists), p|r, fetch arguments with
# $name for the argument of that name)
TABLE = [
    # GUP entry points: the FOLL_* flags a caller asked for, vmemmap_base
    ("gup_fast", ["gup_fast_fallback", "internal_get_user_pages_fast"], "p",
     "start=$start:x64 nr=$nr_pages:u64 flags=$gup_flags:x32 vmemmap=@vmemmap_base:x64"),
    ("gup_fast_ret", ["gup_fast_fallback", "internal_get_user_pages_fast"], "r", "ret=$retval:s64"),
    ("pin_user_pages", ["pin_user_pages"], "p",
     "start=$start:x64 nr=$nr_pages:u64 flags=$gup_flags:x32 vmemmap=@vmemmap_base:x64"),
    ("pin_user_pages_ret", ["pin_user_pages"], "r", "ret=$retval:s64"),
    ("pin_user_pages_remote", ["pin_user_pages_remote"], "p",
     "start=$start:x64 nr=$nr_pages:u64 flags=$gup_flags:x32 vmemmap=@vmemmap_base:x64"),
    ("pin_user_pages_remote_ret", ["pin_user_pages_remote"], "r", "ret=$retval:s64"),
    ("gup_longterm", ["__gup_longterm_locked"], "p", "start=$start:x64 nr=$nr_pages:u64 flags=$gup_flags:x32"),
    # the references and pins themselves, one event per folio or page
    ("grab_page", ["try_grab_page"], "p", page_fields("$page") + " flags=$flags:x32"),
    ("grab_folio_fast", ["try_grab_folio_fast"], "p", page_fields("$page") + " refs=$refs:s32 flags=$flags:x32"),
    ("grab_folio", ["try_grab_folio"], "p",
     # until 6.9 the argument is the page (and the folio is found from it)
     None),
    # the page GUP's slow path returns (6.10+: try_grab_folio() only sees the folio)
    ("follow_page_ret", ["follow_page_pte"], "r", "page=$retval:x64"),
    ("gup_put_folio", ["gup_put_folio"], "p", folio_fields("$folio") + " refs=$refs:s32 flags=$flags:x32"),
    ("unpin_user_page", ["unpin_user_page"], "p", "page=$page:x64"),
    ("unpin_user_pages", ["unpin_user_pages"], "p", "pages=$pages:x64 n=$npages:u64 pg=+0($pages):x64[16]"),
    ("unpin_user_pages_dirty_lock", ["unpin_user_pages_dirty_lock"], "p",
     "pages=$pages:x64 n=$npages:u64 dirty=$make_dirty:u8 pg=+0($pages):x64[16]"),
    ("unpin_folio", ["unpin_folio"], "p", "folio=$folio:x64"),
    ("unpin_user_folio", ["unpin_user_folio"], "p", "folio=$folio:x64 n=$npages:u64"),
    # writeback, waits, the folio lock's slow path
    ("start_wb", ["__folio_start_writeback"], "p", folio_fields("$folio", inode=True) + " keep_write=$keep_write:u8"),
    ("end_wb", ["folio_end_writeback"], "p", folio_fields("$folio", inode=True)),
    ("folio_wait_wb", ["folio_wait_writeback"], "p", folio_fields("$folio", inode=True)),
    ("folio_lock_slow", ["__folio_lock"], "p", folio_fields("$folio", inode=True)),
    # LRU batches
    ("folio_add_lru", ["folio_add_lru"], "p", folio_fields("$folio") + f" mapping=+{MAPPING}($folio):x64"),
    ("lru_batch_move", ["folio_batch_move_lru"], "p",
     f"nr=+{BATCH['nr'][0]}($fbatch):u8 move_fn=$move_fn:symbol "
     f"f=+{BATCH['folios'][0]}($fbatch):x64[{min(BATCH['folios'][2], 31)}]"),
    ("lru_add_drain_all", ["lru_add_drain_all"], "p", ""),
    ("folio_put_last", ["__folio_put"], "p", folio_fields("$folio") + f" mapping=+{MAPPING}($folio):x64"),
    # direct I/O and its bios
    ("iomap_dio", ["__iomap_dio_rw"], "p",
     f"pos=+{KIOCB['ki_pos'][0]}($iocb):s64 count=+{ITER['count'][0]}($iter):u64 "
     f"iter_type=+{ITER['iter_type'][0]}($iter):u8 data_source=+{ITER['data_source'][0]}($iter):u8"),
    ("iomap_dio_ret", ["__iomap_dio_rw"], "r", "ret=$retval:x64"),
    ("bio_get_pages", ["bio_iov_iter_get_pages"], "p",
     f"bio=$bio:x64 iter_type=+{ITER['iter_type'][0]}($iter):u8 count=+{ITER['count'][0]}($iter):u64"),
    ("bio_release", ["__bio_release_pages"], "p",
     f"bio=$bio:x64 mark_dirty=$mark_dirty:u8 vcnt=+{BIO['bi_vcnt'][0]}($bio):u16 "
     f"bvec=+0(+{BIO['bi_io_vec'][0]}($bio)):x64[32]"),
    # pipe buffers (vmsplice, splice)
    ("pipe_buf_release", ["generic_pipe_buf_release"], "p",
     f"buf=$buf:x64 page=+{PIPE['page'][0]}($buf):x64 off=+{PIPE['offset'][0]}($buf):u32 "
     f"len=+{PIPE['len'][0]}($buf):u32 ref=+{REF}(+{PIPE['page'][0]}($buf)):s32 "
     f"mapping=+{MAPPING}(+{PIPE['page'][0]}($buf)):x64"),
    ("pcache_pipe_buf_release", ["page_cache_pipe_buf_release"], "p",
     f"buf=$buf:x64 page=+{PIPE['page'][0]}($buf):x64 off=+{PIPE['offset'][0]}($buf):u32 "
     f"len=+{PIPE['len'][0]}($buf):u32 ref=+{REF}(+{PIPE['page'][0]}($buf)):s32 "
     f"mapping=+{MAPPING}(+{PIPE['page'][0]}($buf)):x64"),
    # io_uring registered buffers (FOLL_LONGTERM pins) and fixed I/O on them
    ("io_sqe_buffers_register", ["io_sqe_buffers_register"], "p", "nr_args=$nr_args:u32"),
    ("io_pin_pages", ["io_pin_pages"], "p", None),
    ("io_pin_pages_ret", ["io_pin_pages"], "r", "ret=$retval:x64 pg=+0($retval):x64[16]"),
    ("io_sqe_buffers_unregister", ["io_sqe_buffers_unregister"], "p", ""),
    ("io_import_fixed", ["io_import_fixed"], "p",
     f"ddir=$ddir:s32 imu=$imu:x64 buf_addr=$buf_addr:x64 len=$len:u64 ubuf=+{UBUF['ubuf'][0]}($imu):x64 "
     f"bvec=+{UBUF['bvec'][0]}($imu):x64[16]"),
]


def resolve(fetch, names):
    def arg(m):
        n = m.group(1)
        if n in ("retval",):
            return m.group(0)
        if n not in names:
            raise KeyError(n)
        return f"$arg{names.index(n) + 1}"

    return re.sub(r"\$(\w+)", arg, fetch)



def definitions():
    for event, candidates, kind, fetch in TABLE:
        fn = next((f for f in candidates if f in PARAMS), None)
        if fn is None:
            yield event, None, kind, f"none of {', '.join(candidates)} in this kernel"
            continue
        names = PARAMS[fn]
        if fetch is None and event == "grab_folio":
            first = names[0]
            fetch = (page_fields(f"${first}") if first == "page" else folio_fields(f"${first}")) + " refs=$refs:s32 flags=$flags:x32"
        if fetch is None and event == "io_pin_pages":
            fetch = f"ubuf=${names[0]}:x64 len=$len:u64"
        try:
            yield event, fn, kind, resolve(fetch, names)
        except KeyError as e:
            yield event, None, kind, f"{fn} has no parameter {e} in this kernel ({', '.join(names)})"


if not BPFTRACE:
    print(f"# pst probes for {VMLINUX}: PG_head={PG_HEAD}, folio order at +{ORDER}, generated by probes.py")
    for event, fn, kind, line in definitions():
        print(f"# {event}: {line}" if fn is None else f"{kind}:pst/{event} {fn} {line}".rstrip())
    sys.exit(0)

# The bpftrace script: the same events, one printf line each, in the format
# docs/import.md documents:
#   bt NSECS CPU TID EVENT: key=value ... comm=COMM
# Only the arguments themselves (and a first member of a struct or two):
# bpftrace 0.17 (Debian 12) segfaults on integer casts such as (uint64)arg0,
# on most BTF struct members (page->mapping, folio->_refcount.counter,
# bio->bi_vcnt) and on tracepoint args; see docs/capture/README.md.


def bt_page(p, name="page"):
    return [(name, "0x%lx", p)]


def bt_folio(p, inode=False):
    return [("folio", "0x%lx", p)]


BT = {
    "gup_fast": lambda a: [("start", "0x%lx", a("start")), ("nr", "%lu", a("nr_pages")), ("flags", "0x%lx", a("gup_flags")),
                           ("vmemmap", "0x%lx", '*kaddr("vmemmap_base")')],
    "gup_fast_ret": lambda a: [("ret", "%ld", "retval")],
    "pin_user_pages": lambda a: BT["gup_fast"](a),
    "pin_user_pages_ret": lambda a: [("ret", "%ld", "retval")],
    "pin_user_pages_remote": lambda a: BT["gup_fast"](a),
    "pin_user_pages_remote_ret": lambda a: [("ret", "%ld", "retval")],
    "gup_longterm": lambda a: [("start", "0x%lx", a("start")), ("nr", "%lu", a("nr_pages")), ("flags", "0x%lx", a("gup_flags"))],
    "grab_page": lambda a: bt_page(a("page")) + [("flags", "0x%lx", a("flags"))],
    "grab_folio_fast": lambda a: bt_page(a("page")) + [("refs", "%ld", a("refs")), ("flags", "0x%lx", a("flags"))],
    "grab_folio": lambda a: (bt_page(a("page")) if a.names[0] == "page" else bt_folio(a("folio")))
    + [("refs", "%ld", a("refs")), ("flags", "0x%lx", a("flags"))],
    "follow_page_ret": lambda a: [("page", "0x%lx", "retval")],
    "gup_put_folio": lambda a: bt_folio(a("folio")) + [("refs", "%ld", a("refs")), ("flags", "0x%lx", a("flags"))],
    "unpin_user_page": lambda a: [("page", "0x%lx", a("page"))],
    "unpin_folio": lambda a: [("folio", "0x%lx", a("folio"))],
    "unpin_user_folio": lambda a: [("folio", "0x%lx", a("folio")), ("n", "%lu", a("npages"))],
    "start_wb": lambda a: bt_folio(a("folio"), inode=True),
    "end_wb": lambda a: bt_folio(a("folio"), inode=True),
    "folio_wait_wb": lambda a: bt_folio(a("folio"), inode=True),
    "folio_lock_slow": lambda a: bt_folio(a("folio"), inode=True),
    "folio_add_lru": lambda a: bt_folio(a("folio")),
    "lru_add_drain_all": lambda a: [],
    "folio_put_last": lambda a: bt_folio(a("folio")),
    "pipe_buf_release": lambda a: [("buf", "0x%lx", a("buf")), ("page", "0x%lx", f"((struct pipe_buffer *){a('buf')})->page")],
    "pcache_pipe_buf_release": lambda a: BT["pipe_buf_release"](a),
    "io_sqe_buffers_register": lambda a: [("nr_args", "%lu", a("nr_args"))],
    "io_sqe_buffers_unregister": lambda a: [],
    "io_import_fixed": lambda a: [("ddir", "%ld", a("ddir")), ("imu", "0x%lx", a("imu")), ("buf_addr", "0x%lx", a("buf_addr")),
                                  ("len", "%lu", a("len")), ("ubuf", "0x%lx", f"((struct io_mapped_ubuf *){a('imu')})->ubuf")],
}


class Args:
    def __init__(self, names):
        self.names = names

    def __call__(self, name):
        if name not in self.names:
            raise KeyError(name)
        return f"arg{self.names.index(name)}"


print(f"// pst probes for bpftrace, {VMLINUX}, generated by probes.py --bpftrace (docs/capture)")
for event, candidates, kind, _ in TABLE:
    fn = next((f for f in candidates if f in PARAMS), None)
    if event not in BT:
        print(f"// {event}: only in the tracefs probes (it fetches arrays)")
        continue
    if fn is None:
        print(f"// {event}: none of {', '.join(candidates)} in this kernel")
        continue
    try:
        fields = BT[event](Args(PARAMS[fn]))
    except KeyError as e:
        print(f"// {event}: {fn} has no parameter {e} in this kernel")
        continue
    fmt = "".join(f"{n}={f} " for n, f, _ in fields)
    args = "".join(f", {e}" for _, _, e in fields)
    probe = "kretprobe" if kind == "r" else "kprobe"
    print(f'{probe}:{fn} {{ printf("bt %lu %d %d {event}: {fmt}comm=%s\\n", nsecs, cpu, tid{args}, comm); }}')
