#!/usr/bin/env python3
"""extract-vmlinux.py /boot/vmlinuz-KVER OUT: the ELF vmlinux inside a bzImage
(xz, zstd or gzip compressed), for pahole and bpftool to read its .BTF."""
import lzma
import subprocess
import sys
import zlib

data = open(sys.argv[1], "rb").read()
for name, magic in (("zstd", b"\x28\xb5\x2f\xfd"), ("xz", b"\xfd7zXZ\x00"), ("gzip", b"\x1f\x8b\x08")):
    at = data.find(magic)
    while at >= 0:
        try:
            if name == "xz":
                out = lzma.LZMADecompressor().decompress(data[at:])
            elif name == "gzip":
                out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[at:])
            else:
                out = subprocess.run(["zstd", "-dcq"], input=data[at:], capture_output=True).stdout
        except Exception:
            out = b""
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            print(f"{sys.argv[2]}: {len(out)} bytes ({name} at {at})")
            sys.exit(0)
        at = data.find(magic, at + 1)
sys.exit(f"no compressed ELF image found in {sys.argv[1]}")
