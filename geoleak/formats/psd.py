"""Photoshop PSD and PSB: where the image resources lie.

A PSD (version 1) or PSB (version 2, "large document") file is a 26-byte header
("8BPS", version, 6 reserved bytes, channels, height, width, depth, colour mode), then
four length-prefixed sections in order: colour mode data, image resources, layer and mask
information, image data (Adobe Photoshop File Formats Specification). The image resources
are the same "8BIM" blocks a JPEG's APP13 holds (`iptc.iter_resources`): EXIF (0x0422),
XMP (0x0424) and IPTC-IIM (0x0404), where Photoshop keeps a photo's GPS and place names.
Their section's length is 4 bytes in both versions, so no offset in the file points into
it: a same-length rewrite of its resources moves nothing.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["PSD_SIGNATURE", "PsdResources", "image_resources", "is_psd"]

PSD_SIGNATURE = b"8BPS"
_HEADER = 26


class PsdResources(NamedTuple):
    """The image resource section's data: [`start`, `start + length`) (`length` clipped
    to the file; `truncated` when the section as written runs past its end)."""

    start: int
    length: int
    truncated: bool


def is_psd(head: bytes) -> bool:
    """True for the header of a PSD (version 1) or PSB (version 2) file."""
    return head[:4] == PSD_SIGNATURE and head[4:6] in (b"\x00\x01", b"\x00\x02")


def image_resources(data: Any) -> PsdResources | None:
    """Where the image resources of the PSD/PSB `data` (any sliceable buffer from the
    file's first byte) lie; None when the file ends before their section's length."""
    size = len(data)
    if size < _HEADER + 4 or not is_psd(bytes(data[:6])):
        return None
    colour_mode_length = int.from_bytes(bytes(data[_HEADER : _HEADER + 4]), "big")
    at = _HEADER + 4 + colour_mode_length
    if at + 4 > size:
        return None
    length = int.from_bytes(bytes(data[at : at + 4]), "big")
    start = at + 4
    return PsdResources(start, min(length, size - start), start + length > size)
