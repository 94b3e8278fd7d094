"""Derive a small GoPro test file: the same `moov` and the GPMF (`gpmd`) samples only.

    python tests/data/gpmf_only.py ../shared/testdata/real/video/gopro/karma.mp4 \
        tests/data/real/video/gopro/gpmfonly_karma.mp4

The output is `ftyp`, an `mdat` holding the GPMF track's chunks back to back, and the
original `moov` with only that track's chunk offsets (`stco`/`co64`) rewritten. Video and
audio samples are left out, so their tracks point at bytes that are not there: the file is
for metadata readers (geoleak reads `moov` and the GPMF samples), not for players.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta"}


def boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, box start, body start, box end) of the boxes in data[start:end]."""
    out = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = pos + 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            body = pos + 16
        elif size == 0:
            size = end - pos
        out.append((kind, pos, body, pos + size))
        pos += size
    return out


def find(data: bytes, start: int, end: int, path: list[bytes]) -> tuple[int, int] | None:
    for kind, _pos, body, stop in boxes(data, start, end):
        if kind == path[0]:
            return (body, stop) if len(path) == 1 else find(data, body, stop, path[1:])
    return None


def gpmf_only(data: bytes) -> bytes:
    top = {kind: (pos, body, stop) for kind, pos, body, stop in boxes(data, 0, len(data))}
    ftyp = data[top[b"ftyp"][0] : top[b"ftyp"][2]]
    moov_pos, moov_body, moov_end = top[b"moov"]
    moov = bytearray(data[moov_pos:moov_end])
    chunks: list[bytes] = []
    patches: list[tuple[int, int, bool]] = []  # (offset in moov of the entry, chunk, 64-bit)
    for kind, _pos, body, stop in boxes(data, moov_body, moov_end):
        if kind != b"trak":
            continue
        stbl = find(data, body, stop, [b"mdia", b"minf", b"stbl"])
        assert stbl is not None
        stsd = find(data, *stbl, [b"stsd"])
        assert stsd is not None
        if data[stsd[0] + 12 : stsd[0] + 16] != b"gpmd":
            continue
        stsz = find(data, *stbl, [b"stsz"])
        stsc = find(data, *stbl, [b"stsc"])
        stco = find(data, *stbl, [b"stco"]) or find(data, *stbl, [b"co64"])
        wide = find(data, *stbl, [b"stco"]) is None
        assert stsz and stsc and stco
        fixed, count = struct.unpack(">II", data[stsz[0] + 4 : stsz[0] + 12])
        sizes = (
            [fixed] * count
            if fixed
            else list(struct.unpack(f">{count}I", data[stsz[0] + 12 : stsz[0] + 12 + 4 * count]))
        )
        (runs,) = struct.unpack(">I", data[stsc[0] + 4 : stsc[0] + 8])
        table = [
            struct.unpack(">III", data[stsc[0] + 8 + 12 * i : stsc[0] + 20 + 12 * i])
            for i in range(runs)
        ]
        (n_chunks,) = struct.unpack(">I", data[stco[0] + 4 : stco[0] + 8])
        width = 8 if wide else 4
        offsets = [
            struct.unpack(">Q" if wide else ">I", data[stco[0] + 8 + width * i : stco[0] + 8 + width * (i + 1)])[0]
            for i in range(n_chunks)
        ]  # fmt: skip
        sample = 0
        for chunk in range(1, n_chunks + 1):
            per_chunk = next(s for first, s, _ in reversed(table) if first <= chunk)
            length = sum(sizes[sample : sample + per_chunk])
            sample += per_chunk
            start = offsets[chunk - 1]
            patches.append((stco[0] + 8 + width * (chunk - 1) - moov_pos, len(chunks), wide))
            chunks.append(data[start : start + length])
    mdat_body = b"".join(chunks)
    base = len(ftyp) + 8
    starts = []
    for chunk in chunks:
        starts.append(base)
        base += len(chunk)
    for where, index, wide in patches:
        fmt = ">Q" if wide else ">I"
        struct.pack_into(fmt, moov, where, starts[index])
    mdat = struct.pack(">I", 8 + len(mdat_body)) + b"mdat" + mdat_body
    return ftyp + mdat + bytes(moov)


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gpmf_only(source.read_bytes()))
