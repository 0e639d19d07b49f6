#!/bin/bash
# capture.sh: capture real kernel traces of the host mm paths pagestate models
# (GUP pins and references, long-term pins, unpins, writeback, direct I/O,
# pipe buffers, LRU batches), from a Debian kernel booted under
# qemu-system-x86_64 with TCG. See README.md beside this file.
#
#   sudo ./capture.sh                       # the newest installed kernel
#   sudo KVER=6.1.0-57-amd64 ./capture.sh   # a given one
#
# Environment:
#   KVER       kernel release under /boot (default: the newest installed)
#   OUT        where the traces go (default ./capture-out); they land in
#              $OUT/<kernel release>/
#   FS         ext4 (default) or xfs: the filesystem the workloads write
#              (xfs has large page-cache folios since 5.18, ext4 since 6.16)
#   MTHP       anonymous mTHP sizes to enable, in KiB, e.g. "16 64" (6.8+)
#   WORKLOADS  a file of "HOW OUTNAME WORKLOAD [COMM]" lines (default:
#              workloads.txt beside this script); HOW is tracefs,
#              tracefs-tgid, tracefs-noirq, trace_pipe, trace_pipe-lost,
#              trace-cmd, perf or bpftrace
#   SKIP_APT   1 to skip installing the Debian packages
#   QEMU_TIMEOUT  seconds before qemu is stopped (default 1800)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/capture-out}
FS=${FS:-ext4}
MTHP=${MTHP:-}
WORKLOADS=${WORKLOADS:-$HERE/workloads.txt}
B=$OUT/build
mkdir -p "$B"
t0=$(date +%s)

if [ "${SKIP_APT:-0}" != 1 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    qemu-system-x86 linux-image-amd64 busybox-static liburing-dev e2fsprogs xfsprogs cpio gcc libc6-dev \
    dwarves bpftool zstd xz-utils python3 kmod trace-cmd linux-perf bpftrace
fi
KVER=${KVER:-$(ls /lib/modules | sort -V | tail -1)}
[ -f /boot/vmlinuz-$KVER ] || { echo "no /boot/vmlinuz-$KVER"; exit 2; }
echo "kernel $KVER, filesystem $FS, mTHP '${MTHP}'"

# 1. the probes of this kernel, from its BTF
python3 "$HERE/extract-vmlinux.py" /boot/vmlinuz-$KVER "$B/vmlinux-$KVER"
python3 "$HERE/probes.py" "$B/vmlinux-$KVER" > "$B/probes-$KVER.txt"
python3 "$HERE/probes.py" --bpftrace "$B/vmlinux-$KVER" > "$B/pst-$KVER.bt"

# 2. the workloads, static
gcc -O2 -Wall -static -o "$B/mmwork" "$HERE/guest/mmwork.c" -luring

# 3. the initramfs: busybox, the modules the disks need, init and its files
RF=$B/rootfs; rm -rf "$RF"; mkdir -p "$RF"/{bin,proc,sys,dev,mnt,out,tmp,modules}
cp /bin/busybox "$RF/bin/"
for a in sh mount umount insmod cat echo ls grep mkdir sleep poweroff tar sync wc kill cp rm chroot; do ln -sf busybox "$RF/bin/$a"; done
: > "$RF/modules.order"
for m in virtio_pci virtio_blk ext4 $FS; do
  modprobe -S "$KVER" --show-depends $m | awk '$1=="insmod"{print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  base=$(basename "$ko"); base=${base%.xz}; base=${base%.zst}
  case "$ko" in
    *.xz) xz -dc "$ko" > "$RF/modules/$base" ;;
    *.zst) zstd -dcq "$ko" > "$RF/modules/$base" ;;
    *) cp "$ko" "$RF/modules/$base" ;;
  esac
  echo "$base" >> "$RF/modules.order"
done
cp "$HERE/guest/init" "$RF/init"; chmod +x "$RF/init"
cp "$B/probes-$KVER.txt" "$RF/probes.txt"; cp "$B/pst-$KVER.bt" "$RF/pst.bt"
cp "$B/mmwork" "$RF/mmwork"
grep -v '^#' "$WORKLOADS" | grep . > "$RF/workloads.txt"
printf 'FS=%s\nMTHP="%s"\n' "$FS" "$MTHP" > "$RF/capture.conf"
(cd "$RF" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$B/initramfs.gz"

# 4. disks: the one the workloads write, the one the traces come back on,
#    and the tools (trace-cmd, perf, bpftrace with their libraries) when
#    the workload list asks for them
rm -f "$B/disk.img" "$B/out.img" "$B/tools.img"
truncate -s 512M "$B/disk.img"; mkfs.$FS -q "$B/disk.img" 2>/dev/null || mkfs.$FS -f -q "$B/disk.img"
truncate -s 256M "$B/out.img"
DRIVES=(-drive file="$B/disk.img",format=raw,if=virtio,throttling.bps-write=2097152 -drive file="$B/out.img",format=raw,if=virtio)
if grep -qE '^(trace-cmd|perf|bpftrace) ' "$RF/workloads.txt"; then
  TR=$B/tools; rm -rf "$TR"; mkdir -p "$TR"/{usr/bin,proc,sys,dev,mnt,out,tmp}
  for tool in trace-cmd perf bpftrace; do
    bin=$(command -v $tool) || continue
    [ "$tool" = perf ] && bin=$(ls /usr/bin/perf_* 2>/dev/null | sort -V | tail -1 || echo "$bin")
    cp -L "$bin" "$TR/usr/bin/$tool"
    for lib in $(ldd "$bin" | awk '/=>/{print $3} /ld-linux/{print $1}'); do
      mkdir -p "$TR$(dirname "$lib")"; cp -Ln "$lib" "$TR$lib"
    done
  done
  # perf and bpftrace look for libraries in the usual places; lib64 for the loader
  mkdir -p "$TR/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$TR/lib64/"
  [ -d "$TR/lib" ] || mkdir -p "$TR/lib"; [ -d "$TR/usr/lib" ] || mkdir -p "$TR/usr/lib"
  truncate -s 1G "$B/tools.img"; mkfs.ext4 -q -d "$TR" "$B/tools.img"
  DRIVES+=(-drive file="$B/tools.img",format=raw,if=virtio)
fi

# 5. boot under TCG (KVM does not boot on these machines: no svm/vmx in
#    CPUID). One TCG thread for the two vCPUs: with multi-threaded TCG a
#    kprobe's int3 being patched in (text_poke_bp) was once seen by the other
#    vCPU ("Oops: int3" in the scheduler). A boot that does not reach the end
#    of its workload list is tried again, up to three times.
for attempt in 1 2 3; do
  t1=$(date +%s)
  rm -f "$B/out.img"; truncate -s 256M "$B/out.img"
  timeout "${QEMU_TIMEOUT:-1800}" qemu-system-x86_64 -accel tcg,thread=single -cpu max -smp 2 -m 2G \
    -nographic -no-reboot -kernel /boot/vmlinuz-$KVER -initrd "$B/initramfs.gz" "${DRIVES[@]}" \
    -append "console=ttyS0 nokaslr panic=-1 loglevel=4" > "$B/qemu-console-$KVER.log" 2>&1 || echo "qemu rc=$?"
  echo "qemu: $(( $(date +%s) - t1 )) s (attempt $attempt)"
  grep -a '=== CAPTURE' "$B/qemu-console-$KVER.log" || true
  grep -aq '=== CAPTURE DONE' "$B/qemu-console-$KVER.log" && break
  grep -a -m1 -A3 'Oops\|panic' "$B/qemu-console-$KVER.log" || true
done

# 6. the traces
G=$OUT/$KVER; rm -rf "$G"; mkdir -p "$G"
tar xf "$B/out.img" -C "$G"
cp "$B/probes-$KVER.txt" "$G/probes-generated.txt"
{
  echo "captured: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: KVER=$KVER FS=$FS MTHP='$MTHP' $0"
  echo "host: $(uname -r), qemu $(qemu-system-x86_64 --version | head -1)"
} > "$G/CAPTURE.txt"
wc -l "$G"/*.txt | tail -n +1
echo "total: $(( $(date +%s) - t0 )) s; traces in $G"
