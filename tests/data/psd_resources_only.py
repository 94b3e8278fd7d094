"""Derive a small Photoshop test file: the same header and image resources, 1 x 1 pixel.

    python tests/data/psd_resources_only.py seine.psd tests/data/wider/libavif_seine_1px.psd

The output keeps the original's colour mode data and image resource section byte for
byte (EXIF, XMP, IPTC, thumbnail), with the header's height and width set to 1, an empty
layer and mask section, and raw image data of one black pixel. Metadata readers read the
same resources from it as from the original (1.7 MB becomes 65 KB).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path


def derive(data: bytes) -> bytes:
    if data[:4] != b"8BPS" or data[4:6] != b"\x00\x01":
        raise SystemExit("not a PSD (version 1) file")
    channels, _height, _width, depth, mode = struct.unpack(">HIIHH", data[12:26])
    colour_len = struct.unpack(">I", data[26:30])[0]
    resources_at = 30 + colour_len
    resources_len = struct.unpack(">I", data[resources_at : resources_at + 4])[0]
    kept = data[26 : resources_at + 4 + resources_len]
    header = data[:12] + struct.pack(">HIIHH", channels, 1, 1, depth, mode)
    pixel = bytes(channels * max(depth // 8, 1))
    return header + kept + struct.pack(">I", 0) + struct.pack(">H", 0) + pixel


if __name__ == "__main__":
    source, target = sys.argv[1:3]
    Path(target).write_bytes(derive(Path(source).read_bytes()))
