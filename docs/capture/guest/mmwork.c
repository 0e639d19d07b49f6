/* mmwork: small workloads that drive the host mm paths pagestate models
 * (GUP pins and references, long-term pins, writeback, direct I/O, pipe
 * buffers, LRU batches), run inside the capture guest (docs/capture).
 *
 * Every phase writes a "MARK ..." line into the trace through
 * /sys/kernel/tracing/trace_marker, with the pfn of every page of the user
 * buffers involved (from /proc/self/pagemap) and its /proc/kpageflags, so a
 * trace can be checked against ground truth.
 *
 * usage: mmwork <wb|dio|uring|vring|splice|pvm|thp|mixed> <dir> [comm]
 * (comm: the task name the trace shows, e.g. "CPU 0/KVM" as QEMU names
 * its vCPU threads; default mmwork)
 *
 * Built statically by capture.sh: gcc -O2 -static mmwork.c -luring
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define PG 4096
#define HUGE (2u << 20)
static int markfd = -1;

static void mark(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (markfd >= 0 && write(markfd, buf, n) < 0)
		perror("trace_marker");
	fprintf(stderr, "%s\n", buf);
}

static void die(const char *what)
{
	mark("MARK error %s errno=%d (%s)", what, errno, strerror(errno));
	exit(1);
}

static uint64_t va2pfn(void *va)
{
	static int fd = -1;
	uint64_t e = 0;
	if (fd < 0)
		fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &e, 8, ((uintptr_t)va / PG) * 8) != 8)
		return ~0ull;
	if (!(e & (1ull << 63)))
		return ~0ull; /* not present */
	return e & ((1ull << 55) - 1);
}

static uint64_t kpageflags(uint64_t pfn)
{
	static int fd = -1;
	uint64_t f = 0;
	if (fd < 0)
		fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0 || pfn == ~0ull || pread(fd, &f, 8, pfn * 8) != 8)
		return 0;
	return f;
}

/* va -> pfn of every page of a buffer; kpf bit 15 = compound head,
 * 16 = compound tail, 22 = THP (Documentation/admin-guide/mm/pagemap.rst) */
static void mark_buf(const char *name, void *buf, size_t len)
{
	for (size_t off = 0; off < len; off += PG) {
		uint64_t pfn = va2pfn((char *)buf + off);
		mark("MARK buf name=%s page=%zu va=%p pfn=0x%llx kpf=0x%llx", name, off / PG,
		     (char *)buf + off, (unsigned long long)pfn,
		     (unsigned long long)kpageflags(pfn));
	}
}

static void *abuf(size_t len, int fill)
{
	void *p;
	if (posix_memalign(&p, PG, len))
		die("posix_memalign");
	memset(p, fill, len); /* fault in */
	return p;
}

/* an anonymous region backed by a transparent huge page (order 9) when the
 * kernel gives one: 2 MiB aligned, MADV_HUGEPAGE, touched */
static char *thpbuf(int fill)
{
	char *p = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap thp");
	char *a = (char *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (madvise(a, HUGE, MADV_HUGEPAGE))
		mark("MARK note madvise(MADV_HUGEPAGE) errno=%d", errno);
	memset(a, fill, HUGE);
	return a;
}

static char *path(const char *dir, const char *f)
{
	static char b[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(b[i], sizeof b[i], "%s/%s", dir, f);
	return b[i];
}

/* wb: buffered writes + fsync (dirty, writeback start/end), then rewrites of
 * pages under writeback (folio_wait_writeback) */
static void do_wb(const char *dir)
{
	size_t len = 16 * PG;
	char *b = abuf(len, 'w');
	int fd = open(path(dir, "wb.dat"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open wb.dat");
	mark("MARK phase=wb step=write file=wb.dat len=%zu", len);
	if (pwrite(fd, b, len, 0) != (ssize_t)len)
		die("pwrite");
	mark("MARK phase=wb step=fsync");
	if (fsync(fd))
		die("fsync");
	mark("MARK phase=wb step=rewrite-under-writeback");
	for (int r = 0; r < 4; r++) {
		memset(b, 'a' + r, len);
		if (pwrite(fd, b, len, 0) != (ssize_t)len)
			die("pwrite2");
		sync_file_range(fd, 0, len, SYNC_FILE_RANGE_WRITE);
		if (pwrite(fd, b, PG, 0) != PG)
			die("pwrite3");
	}
	mark("MARK phase=wb step=fsync2");
	fsync(fd);
	close(fd);
	mark("MARK phase=wb step=done");
	free(b);
}

/* dio: O_DIRECT write then read (6.1: FOLL_GET through
 * iov_iter_get_pages; 6.5 and later: FOLL_PIN through iov_iter_extract_pages) */
static void do_dio(const char *dir)
{
	size_t len = 16 * PG;
	char *w = abuf(len, 'd');
	char *r = abuf(len, 0);
	mark_buf("dio_wbuf", w, len);
	mark_buf("dio_rbuf", r, len);
	int fd = open(path(dir, "dio.dat"), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0)
		die("open dio.dat");
	mark("MARK phase=dio step=pwrite len=%zu", len);
	if (pwrite(fd, w, len, 0) != (ssize_t)len)
		die("dio pwrite");
	mark("MARK phase=dio step=pread len=%zu", len);
	if (pread(fd, r, len, 0) != (ssize_t)len)
		die("dio pread");
	mark("MARK phase=dio step=check ok=%d", memcmp(w, r, len) == 0);
	close(fd);
	mark("MARK phase=dio step=done");
	free(w);
	free(r);
}

static void uring_io(struct io_uring *ring, int fd, void *buf, size_t len, int idx, int write)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	if (write)
		io_uring_prep_write_fixed(sqe, fd, buf, len, 0, idx);
	else
		io_uring_prep_read_fixed(sqe, fd, buf, len, 0, idx);
	mark("MARK phase=uring step=%s_fixed buf=%d", write ? "write" : "read", idx);
	io_uring_submit(ring);
	io_uring_wait_cqe(ring, &cqe);
	mark("MARK phase=uring step=cqe res=%d", cqe->res);
	io_uring_cqe_seen(ring, cqe);
}

/* uring: io_uring registered buffers: FOLL_PIN|FOLL_LONGTERM pins held
 * until unregister, fixed-buffer O_DIRECT I/O in between */
static void do_uring(const char *dir)
{
	struct io_uring ring;
	struct iovec iov[2];
	size_t len = 4 * PG;
	int ret;
	for (int i = 0; i < 2; i++) {
		iov[i].iov_base = abuf(len, 'u' + i);
		iov[i].iov_len = len;
	}
	mark_buf("uring_buf0", iov[0].iov_base, len);
	mark_buf("uring_buf1", iov[1].iov_base, len);
	if ((ret = io_uring_queue_init(8, &ring, 0)) < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}
	int fd = open(path(dir, "uring.dat"), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0)
		die("open uring.dat");
	mark("MARK phase=uring step=register nbufs=2 len=%zu", len);
	if ((ret = io_uring_register_buffers(&ring, iov, 2)) < 0) {
		errno = -ret;
		die("register_buffers");
	}
	uring_io(&ring, fd, iov[0].iov_base, len, 0, 1);
	uring_io(&ring, fd, iov[1].iov_base, len, 1, 0);
	mark("MARK phase=uring step=hold-pins");
	usleep(200000);
	mark("MARK phase=uring step=unregister");
	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	close(fd);
	mark("MARK phase=uring step=done");
}

/* vring: the virtio-ring pattern of the 2023 s390 discussion: a buffer in a
 * large folio (a THP when the kernel gives one) registered with io_uring,
 * i.e. pinned FOLL_LONGTERM for the life of the device, and still pinned
 * when the capture ends (the process waits to be killed) */
static void do_vring(const char *dir)
{
	struct io_uring ring;
	size_t len = 4 * PG;
	int ret;
	char *thp = thpbuf('v');
	struct iovec iov = {thp, len};
	mark_buf("vring_ring", thp, len);
	mark_buf("vring_next", thp + len, 2 * PG);
	if ((ret = io_uring_queue_init(8, &ring, 0)) < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}
	int fd = open(path(dir, "vring.dat"), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0)
		die("open vring.dat");
	mark("MARK phase=vring step=register len=%zu", len);
	if ((ret = io_uring_register_buffers(&ring, &iov, 1)) < 0) {
		errno = -ret;
		die("register_buffers");
	}
	uring_io(&ring, fd, thp, len, 0, 1);
	uring_io(&ring, fd, thp, len, 0, 0);
	mark("MARK phase=vring step=hold-pins-until-killed");
	for (;;)
		pause();
}

/* splice: vmsplice (user pages into a pipe: FOLL_GET references) + splice
 * to a file, and splice from the file (page-cache references in the pipe) */
static void do_splice(const char *dir)
{
	size_t len = 4 * PG;
	char *b = abuf(len, 's');
	char *rb = abuf(len, 0);
	int p[2];
	mark_buf("vmsplice_buf", b, len);
	if (pipe(p))
		die("pipe");
	int fd = open(path(dir, "splice.dat"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open splice.dat");
	struct iovec iov = {b, len};
	mark("MARK phase=splice step=vmsplice len=%zu", len);
	ssize_t n = vmsplice(p[1], &iov, 1, 0);
	mark("MARK phase=splice step=vmsplice-done n=%zd", n);
	loff_t off = 0;
	mark("MARK phase=splice step=splice-pipe-to-file");
	n = splice(p[0], NULL, fd, &off, len, 0);
	mark("MARK phase=splice step=splice-pipe-to-file-done n=%zd", n);
	fsync(fd);
	off = 0;
	mark("MARK phase=splice step=splice-file-to-pipe");
	n = splice(fd, &off, p[1], NULL, len, 0);
	mark("MARK phase=splice step=splice-file-to-pipe-done n=%zd", n);
	n = read(p[0], rb, len);
	mark("MARK phase=splice step=read-pipe-done n=%zd ok=%d", n, memcmp(b, rb, len) == 0);
	close(fd);
	close(p[0]);
	close(p[1]);
	mark("MARK phase=splice step=done");
}

/* pvm: process_vm_readv/writev on itself: pin_user_pages_remote (FOLL_PIN,
 * short-term), a CPU copy, unpin_user_pages(_dirty_lock) */
static void do_pvm(const char *dir)
{
	(void)dir;
	size_t len = 4 * PG;
	char *src = abuf(len, 'p');
	char *dst = abuf(len, 0);
	mark_buf("pvm_src", src, len);
	mark_buf("pvm_dst", dst, len);
	struct iovec l = {dst, len}, r = {src, len};
	mark("MARK phase=pvm step=process_vm_readv");
	ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	mark("MARK phase=pvm step=readv-done n=%zd", n);
	struct iovec l2 = {src, len}, r2 = {dst, len};
	mark("MARK phase=pvm step=process_vm_writev");
	n = process_vm_writev(getpid(), &l2, 1, &r2, 1, 0);
	mark("MARK phase=pvm step=writev-done n=%zd", n);
	mark("MARK phase=pvm step=done");
}

/* thp: O_DIRECT write and read on buffers in transparent huge pages (GUP of
 * pages of an order-9 folio) and buffered writeback from one */
static void do_thp(const char *dir)
{
	size_t len = 16 * PG;
	char *w = thpbuf('t');
	char *r = thpbuf(0);
	mark_buf("thp_wbuf", w, len);
	mark_buf("thp_rbuf", r, len);
	int fd = open(path(dir, "thp.dat"), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0)
		die("open thp.dat");
	mark("MARK phase=thp step=dio-pwrite len=%zu", len);
	if (pwrite(fd, w, len, 0) != (ssize_t)len)
		die("thp pwrite");
	mark("MARK phase=thp step=dio-pread len=%zu", len);
	if (pread(fd, r, len, 0) != (ssize_t)len)
		die("thp pread");
	mark("MARK phase=thp step=check ok=%d", memcmp(w, r, len) == 0);
	close(fd);
	int bf = open(path(dir, "thp-buffered.dat"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (bf < 0)
		die("open thp-buffered.dat");
	mark("MARK phase=thp step=buffered-write len=%zu", len);
	if (pwrite(bf, w, len, 0) != (ssize_t)len)
		die("thp buffered pwrite");
	fsync(bf);
	close(bf);
	mark("MARK phase=thp step=done");
}

/* mixed: a MAP_SHARED file mapping used as the source and then the target of
 * O_DIRECT (GUP on page-cache pages), msync writeback, vmsplice of a file
 * page, all while an io_uring long-term pin is held on anonymous memory */
static void do_mixed(const char *dir)
{
	size_t len = 4 * PG;
	struct io_uring ring;
	struct iovec iov = {abuf(len, 'm'), len};
	int ret;
	int mf = open(path(dir, "mixed_map.dat"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (mf < 0 || ftruncate(mf, len))
		die("open mixed_map.dat");
	char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mf, 0);
	if (map == MAP_FAILED)
		die("mmap");
	memset(map, 'M', len);
	mark_buf("mixed_filemap", map, len);
	mark_buf("mixed_ubuf", iov.iov_base, len);
	if ((ret = io_uring_queue_init(8, &ring, 0)) < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}
	mark("MARK phase=mixed step=register");
	if ((ret = io_uring_register_buffers(&ring, &iov, 1)) < 0) {
		errno = -ret;
		die("register");
	}
	int df = open(path(dir, "mixed_dio.dat"), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (df < 0)
		die("open mixed_dio.dat");
	mark("MARK phase=mixed step=dio-write-from-filemap");
	if (pwrite(df, map, len, 0) != (ssize_t)len)
		die("dio from map");
	mark("MARK phase=mixed step=msync");
	if (msync(map, len, MS_SYNC))
		die("msync");
	mark("MARK phase=mixed step=dio-read-into-filemap");
	if (pread(df, map, len, 0) != (ssize_t)len)
		die("dio into map");
	mark("MARK phase=mixed step=msync2");
	if (msync(map, len, MS_SYNC))
		die("msync2");
	mark("MARK phase=mixed step=vmsplice-filemap");
	int p[2];
	if (pipe(p))
		die("pipe");
	struct iovec vi = {map, PG};
	ssize_t n = vmsplice(p[1], &vi, 1, 0);
	mark("MARK phase=mixed step=vmsplice-done n=%zd", n);
	close(p[1]);
	close(p[0]);
	mark("MARK phase=mixed step=unregister");
	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	munmap(map, len);
	close(mf);
	close(df);
	mark("MARK phase=mixed step=done");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s <wb|dio|uring|vring|splice|pvm|thp|mixed> <dir> [comm]\n", argv[0]);
		return 2;
	}
	if (argc > 3 && prctl(PR_SET_NAME, argv[3], 0, 0, 0))
		perror("prctl(PR_SET_NAME)");
	markfd = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
	mark("MARK begin workload=%s pid=%d", argv[1], getpid());
	if (!strcmp(argv[1], "wb"))
		do_wb(argv[2]);
	else if (!strcmp(argv[1], "dio"))
		do_dio(argv[2]);
	else if (!strcmp(argv[1], "uring"))
		do_uring(argv[2]);
	else if (!strcmp(argv[1], "vring"))
		do_vring(argv[2]);
	else if (!strcmp(argv[1], "splice"))
		do_splice(argv[2]);
	else if (!strcmp(argv[1], "pvm"))
		do_pvm(argv[2]);
	else if (!strcmp(argv[1], "thp"))
		do_thp(argv[2]);
	else if (!strcmp(argv[1], "mixed"))
		do_mixed(argv[2]);
	else
		return 2;
	mark("MARK end workload=%s", argv[1]);
	return 0;
}
