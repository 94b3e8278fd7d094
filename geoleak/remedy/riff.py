"""PNG and WebP: in-place cleaning of their metadata chunks.

PNG: the `eXIf` chunk is cleaned like any EXIF block and its CRC recomputed; XMP in an
uncompressed `iTXt` (keyword XML:com.adobe.xmp) is blanked in place (CRC recomputed);
ImageMagick's hex-encoded `Raw profile type exif/xmp` text chunks are decoded, cleaned
and re-encoded with the same length. A compressed (zTXt / compressed iTXt) chunk that
holds location cannot be cleaned at the same length: the file is refused.
WebP: the `EXIF` and `XMP ` RIFF chunks are cleaned in place; chunk and RIFF sizes do not
change. Image chunks (IDAT, VP8/VP8L/ALPH/ANIM) are never touched.
"""

from __future__ import annotations

import binascii
import struct
import zlib

from geoleak.formats.chunks import PNG_SIGNATURE, iter_png_chunks, iter_riff_chunks
from geoleak.formats.gif import GifWalk, is_xmp, xmp_packet
from geoleak.formats.tiff import exif_tiff_offset
from geoleak.remedy.blocks import clean_exif, clean_iim, clean_irb, clean_xmp
from geoleak.remedy.model import Patch, Region, ScanResult, ScrubOptions, Unsupported, text_finding

__all__ = ["scan_png", "scan_webp"]


def _exif_start(region: Region) -> Region:
    """Skip an 'Exif\\0\\0' prefix some writers put before the TIFF header."""
    skip = exif_tiff_offset(region.data[:16])
    return region.sub(skip, len(region) - skip) if skip else region


def scan_png(data: bytes | memoryview, opts: ScrubOptions) -> ScanResult:
    if bytes(data[:8]) != PNG_SIGNATURE:
        raise Unsupported("not a PNG file")
    result = ScanResult("png")
    refused: list[Unsupported] = []
    for chunk in iter_png_chunks(data, limit=None):
        ctype, pos, body, end = chunk.type, chunk.start, chunk.body, chunk.end
        if chunk.truncated:
            result.notes.append(f"PNG chunk {ctype!r} truncated")
        before = len(result.patches)
        if ctype == b"eXIf":
            clean_exif(result, _exif_start(Region.whole(data, body, end - body)), opts)
        elif ctype in (b"iTXt", b"tEXt", b"zTXt"):
            try:
                _text_chunk(data, opts, result, ctype, body, end)
            except Unsupported as exc:  # (the walk goes on: audit reports every chunk)
                refused.append(exc)
        if len(result.patches) > before and not chunk.truncated:
            result.patches.append(_png_crc_patch(data, result.patches[before:], pos, end))
    if refused:
        held = [f for exc in refused for f in exc.findings]
        more = f" (and {len(refused) - 1} more such chunks)" if len(refused) > 1 else ""
        raise Unsupported(f"{refused[0]}{more}", result.findings + held)
    return result


def _png_crc_patch(data: bytes | memoryview, patches: list[Patch], pos: int, end: int) -> Patch:
    chunk = bytearray(data[pos + 4 : end])  # type + data
    for p in patches:
        lo, hi = max(p.offset, pos + 4), min(p.end, end)
        if lo < hi:
            chunk[lo - pos - 4 : hi - pos - 4] = p.data[lo - p.offset : hi - p.offset]
    return Patch(end, struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF))


def _text_chunk(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    ctype: bytes,
    body: int,
    end: int,
) -> None:
    raw = bytes(data[body:end])
    keyword, _, rest = raw.partition(b"\x00")
    if ctype == b"iTXt":
        if len(rest) < 2:
            return
        compressed = rest[0] == 1
        # skip compression method, language tag and translated keyword
        after = rest[2:]
        _lang, _, after = after.partition(b"\x00")
        _trans, _, text = after.partition(b"\x00")
        text_at = end - len(text)
        if keyword == b"XML:com.adobe.xmp":
            if compressed:
                _refuse_if_location(zlib.decompress(text), opts, "compressed iTXt XMP", kind=b"")
                return
            clean_xmp(result, Region.whole(data, text_at, end - text_at), opts)
            return
        if keyword.startswith(b"Raw profile type "):  # exiftool reads one in iTXt too
            if compressed:
                what = f"compressed {keyword.decode('latin-1')}"
                _refuse_if_location(zlib.decompress(text), opts, what, kind=keyword[17:])
            else:
                _raw_profile(data, opts, result, keyword[17:], text_at, end)
            return
        plain = zlib.decompress(text) if compressed else text
        _free_text(result, keyword, plain, text_at, end, compressed=compressed)
        return
    if keyword.startswith(b"Raw profile type ") and ctype == b"tEXt":
        _raw_profile(data, opts, result, keyword[17:], body + len(keyword) + 1, end)
    elif keyword.startswith(b"Raw profile type ") or keyword == b"XML:com.adobe.xmp":
        payload = zlib.decompress(rest[1:]) if ctype == b"zTXt" else rest
        what = f"compressed {keyword.decode('latin-1')}"
        _refuse_if_location(payload, opts, what, kind=keyword[17:])
    elif ctype == b"tEXt":
        _free_text(result, keyword, rest, end - len(rest), end, compressed=False)
    else:  # zTXt
        _free_text(result, keyword, zlib.decompress(rest[1:]), end, end, compressed=True)


def _free_text(
    result: ScanResult, keyword: bytes, text: bytes, start: int, end: int, *, compressed: bool
) -> None:
    """A PNG text chunk (Comment, Description, Location...) that holds coordinates is
    blanked with spaces (its CRC is then recomputed); a compressed one cannot be, at the
    same length, so the file is refused."""
    name = keyword.decode("latin-1", "replace")
    leak = text_finding(f"PNG text {name}", text.decode("utf-8", "replace"))
    if leak is None:
        return
    if compressed:
        raise Unsupported(
            f"compressed PNG text '{name}' holds coordinates; cannot rewrite in place", [leak]
        )
    result.add(leak, [Patch(start, b" " * (end - start))] if end > start else [])


def _refuse_if_location(payload: bytes, opts: ScrubOptions, what: str, *, kind: bytes) -> None:
    """A compressed profile (`kind` from its keyword, b"" for bare XMP) cannot be cleaned
    at the same length: the file is refused when it holds anything scrub removes, and the
    exception carries what it holds (audit reports it)."""
    probe = ScanResult("probe")
    text = payload
    if (
        (kind and payload.startswith(b"\n"))
        or (  # ImageMagick's "\nKIND\n  LEN\nHEX..."
            b"\n" in payload[:40] and all(c in b"0123456789abcdefABCDEF \n" for c in payload[-64:])
        )
    ):
        text = _unhex(payload)
    if kind in (b"iptc", b"8bim"):
        _clean_profile(probe, kind, text, opts)
    elif text.startswith((b"Exif", b"MM", b"II")):
        clean_exif(probe, _exif_start(Region.whole(text, 0, len(text))), opts)
    else:
        clean_xmp(probe, Region.whole(text, 0, len(text)), opts)
    if probe.patches:
        raise Unsupported(
            f"{what} holds metadata geoleak must remove but cannot rewrite in place",
            probe.findings,
        )


def _unhex(payload: bytes) -> bytes:
    lines = payload.strip().split(b"\n")
    try:
        return binascii.unhexlify(b"".join(line.strip() for line in lines[2:]))
    except (binascii.Error, ValueError):
        return b""


def _clean_profile(result: ScanResult, kind: bytes, decoded: bytes, opts: ScrubOptions) -> bool:
    """Scan one decoded ImageMagick profile by its kind (exif, xmp, iptc, 8bim: the IPTC
    records, bare or in Photoshop resources, as exiftool reads them); False for a kind
    that holds no metadata geoleak reads (icc)."""
    region = Region.whole(decoded, 0, len(decoded))
    kind = kind.strip().lower()  # (exiftool reads the keyword's kind in any case)
    if kind in (b"exif", b"app1"):
        exif = region.sub(6, len(region) - 6) if decoded.startswith(b"Exif") else region
        clean_exif(result, exif, opts, label="EXIF (raw profile)")
    elif kind == b"xmp":
        clean_xmp(result, region, opts, label="XMP (raw profile)")
    elif kind == b"8bim" or (kind == b"iptc" and decoded.startswith(b"8BIM")):
        clean_irb(result, region, opts)
    elif kind == b"iptc":
        clean_iim(result, region, opts)
    else:
        return False
    return True


def _raw_profile(
    data: bytes | memoryview,
    opts: ScrubOptions,
    result: ScanResult,
    kind: bytes,
    start: int,
    end: int,
) -> None:
    """ImageMagick's 'Raw profile type exif': '\\nexif\\n  LEN\\nHEX...' in a tEXt chunk."""
    text = bytes(data[start:end])
    lines = text.split(b"\n")
    if len(lines) < 4:
        return
    header_len = len(lines[0]) + len(lines[1]) + len(lines[2]) + 3
    hexpart = text[header_len:]
    digits = [i for i, c in enumerate(hexpart) if c in b"0123456789abcdefABCDEF"]
    try:
        decoded = binascii.unhexlify(bytes(hexpart[i] for i in digits))
    except (binascii.Error, ValueError):
        return
    scratch = ScanResult("raw-profile")
    if not _clean_profile(scratch, kind, decoded, opts):
        return
    result.findings += scratch.findings
    result.notes += scratch.notes
    if not scratch.patches:
        return
    cleaned = bytearray(decoded)
    for p in scratch.patches:
        cleaned[p.offset : p.end] = p.data
    hex_text = binascii.hexlify(bytes(cleaned))
    out = bytearray(hexpart)
    for i, digit_pos in enumerate(digits):
        out[digit_pos] = hex_text[i]
    result.patches.append(Patch(start + header_len, bytes(out)))


def scan_webp(data: bytes | memoryview, opts: ScrubOptions) -> ScanResult:
    if bytes(data[:4]) != b"RIFF" or bytes(data[8:12]) != b"WEBP":
        raise Unsupported("not a WebP file")
    result = ScanResult("webp")
    for chunk in iter_riff_chunks(data, limit=None):
        body, end = chunk.body, chunk.end
        if chunk.type == b"EXIF":
            clean_exif(result, _exif_start(Region.whole(data, body, end - body)), opts)
        elif chunk.type == b"XMP ":
            clean_xmp(result, Region.whole(data, body, end - body), opts)
    return result


def scan_gif(data: bytes | memoryview, opts: ScrubOptions) -> ScanResult:
    """GIF: XMP in its application extension (the shared `formats.gif` walk), blanked in
    place.

    Blanking characters with spaces (never NUL) keeps every reader of the raw packet
    landing in its magic trailer, so the file stays valid.
    """
    walk = GifWalk(data)
    result = ScanResult("gif")
    for block in walk:
        if not is_xmp(data, block):
            continue
        packet = xmp_packet(data, block)
        if packet is None:
            raise Unsupported("GIF XMP without its magic trailer")
        clean_xmp(result, Region.whole(data, packet[0], packet[1] - packet[0]), opts)
    if walk.problem == "not a GIF file":
        raise Unsupported(walk.problem)
    if walk.problem is not None:
        result.notes.append(walk.problem)
    return result
