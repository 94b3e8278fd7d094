"""PNG and WebP: in-place cleaning of their metadata chunks.

PNG: the `eXIf` chunk is cleaned like any EXIF block and its CRC recomputed; XMP in an
uncompressed `iTXt` (keyword XML:com.adobe.xmp) is blanked in place (CRC recomputed);
ImageMagick's hex-encoded `Raw profile type exif/xmp/iptc` text chunks are decoded, cleaned
and re-encoded with the same length. A compressed (zTXt / compressed iTXt) chunk that
holds location is decompressed, cleaned, compressed again and written back into the same
bytes, a padding chunk (`paDd`, private and ancillary: readers skip it) filling what the
new chunk does not need; when no compression of the cleaned text fits, the file is refused.
C2PA content credentials (PNG `caBX`, WebP `C2PA`): their JSON location, as remedy.jumbf.
WebP: the `EXIF` and `XMP ` RIFF chunks are cleaned in place; chunk and RIFF sizes do not
change. Image chunks (IDAT, VP8/VP8L/ALPH/ANIM) are never touched.
"""

from __future__ import annotations

import binascii
import struct
import zlib
from collections.abc import Iterator

from geoleak.formats.chunks import PNG_SIGNATURE, iter_png_chunks, iter_riff_chunks
from geoleak.formats.gif import GifWalk, is_xmp, xmp_packet
from geoleak.formats.tiff import exif_tiff_offset
from geoleak.remedy.blocks import clean_exif, clean_iim, clean_irb, clean_xmp
from geoleak.remedy.jumbf import clean_jumbf
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
        elif ctype == b"caBX":  # C2PA content credentials (a JUMBF manifest store)
            clean_jumbf(result, Region.whole(data, body, end - body))
        elif ctype in (b"iTXt", b"tEXt", b"zTXt"):
            try:
                if _text_chunk(data, opts, result, ctype, body, end, truncated=chunk.truncated):
                    continue  # rewritten whole, its CRC with it
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
    *,
    truncated: bool = False,
) -> bool:
    """Clean one text chunk; True when it was rewritten whole (a compressed one)."""
    raw = bytes(data[body:end])
    rewrite = _Rewrite(data, result, ctype, body, end, truncated)
    keyword, _, rest = raw.partition(b"\x00")
    if ctype == b"iTXt":
        if len(rest) < 2:
            return False
        compressed = rest[0] == 1
        # skip compression method, language tag and translated keyword
        after = rest[2:]
        _lang, _, after = after.partition(b"\x00")
        _trans, _, text = after.partition(b"\x00")
        text_at = end - len(text)
        if keyword == b"XML:com.adobe.xmp":
            if compressed:
                payload = zlib.decompress(text)
                return rewrite.cleaned("compressed iTXt XMP", text_at, payload,
                                       *_clean_payload(payload, opts, b""), xml=True)  # fmt: skip
            clean_xmp(result, Region.whole(data, text_at, end - text_at), opts)
            return False
        if keyword.startswith(b"Raw profile type "):  # exiftool reads one in iTXt too
            if compressed:
                payload = zlib.decompress(text)
                what = f"compressed {keyword.decode('latin-1')}"
                return rewrite.cleaned(what, text_at, payload,
                                       *_clean_payload(payload, opts, keyword[17:]))  # fmt: skip
            _raw_profile(data, opts, result, keyword[17:], text_at, end)
            return False
        if compressed:
            payload = zlib.decompress(text)
            return rewrite.cleaned(f"compressed PNG text '{keyword.decode('latin-1')}'", text_at,
                                   payload, *_clean_free_text(keyword, payload))  # fmt: skip
        _free_text(result, keyword, text, text_at, end)
        return False
    if keyword.startswith(b"Raw profile type ") and ctype == b"tEXt":
        _raw_profile(data, opts, result, keyword[17:], body + len(keyword) + 1, end)
    elif keyword.startswith(b"Raw profile type ") or keyword == b"XML:com.adobe.xmp":
        if ctype == b"zTXt":
            payload = zlib.decompress(rest[1:])
            what = f"compressed {keyword.decode('latin-1')}"
            return rewrite.cleaned(what, end - len(rest) + 1, payload,
                                   *_clean_payload(payload, opts, keyword[17:]))  # fmt: skip
        what = f"tEXt {keyword.decode('latin-1')}"
        rewrite.refuse(what, _clean_payload(rest, opts, keyword[17:])[0])
    elif ctype == b"tEXt":
        _free_text(result, keyword, rest, end - len(rest), end)
    else:  # zTXt
        payload = zlib.decompress(rest[1:])
        return rewrite.cleaned(f"compressed PNG text '{keyword.decode('latin-1')}'",
                               end - len(rest) + 1, payload,
                               *_clean_free_text(keyword, payload))  # fmt: skip
    return False


# A private ancillary chunk ("paDd": ancillary, private, reserved bit clear, safe to copy)
# fills what a rewritten compressed chunk no longer needs, so no later byte moves.
PAD_CHUNK = b"paDd"
_CHUNK_OVERHEAD = 12  # length, type, CRC


class _Rewrite:
    """A compressed text chunk rewritten whole: its cleaned text compressed again, followed
    by a padding chunk, in exactly the bytes the chunk held."""

    __slots__ = ("body", "ctype", "data", "end", "result", "truncated")

    def __init__(
        self, data: bytes | memoryview, result: ScanResult, ctype: bytes, body: int, end: int,
        truncated: bool,
    ) -> None:  # fmt: skip
        self.data, self.result, self.ctype = data, result, ctype
        self.body, self.end, self.truncated = body, end, truncated

    def refuse(self, what: str, scratch: ScanResult) -> None:
        if scratch.patches:
            raise Unsupported(
                f"{what} holds metadata geoleak must remove but cannot rewrite in place",
                scratch.findings,
            )
        self.result.findings += scratch.findings

    def cleaned(self, what: str, stream_at: int, payload: bytes, scratch: ScanResult,
                cleaned: bytes, *, xml: bool = False) -> bool:  # fmt: skip
        """Rewrite the chunk when cleaning changed its text (`stream_at`: where its zlib
        stream starts); refuse the file when the text cannot be compressed into the chunk."""
        if not scratch.patches or cleaned == payload:
            self.result.findings += scratch.findings
            self.result.notes += scratch.notes
            return False
        if self.truncated:
            self.refuse(f"{what} (in a truncated chunk)", scratch)
        prefix = bytes(self.data[self.body : stream_at])
        room = self.end - self.body
        for stream in _recompressions(cleaned, room - len(prefix), whitespace_ok=xml):
            spare = room - len(prefix) - len(stream)
            if spare == 0 or spare >= _CHUNK_OVERHEAD:
                self.result.findings += scratch.findings
                self.result.notes += scratch.notes
                self.result.patches.append(
                    Patch(self.body - 8, self._chunks(prefix + stream, spare))
                )
                return True
        self.refuse(what, scratch)
        return False

    def _chunks(self, body: bytes, spare: int) -> bytes:
        out = _png_chunk_bytes(self.ctype, body)
        if spare:
            out += _png_chunk_bytes(PAD_CHUNK, bytes(spare - _CHUNK_OVERHEAD))
        return out


_STRATEGIES = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_FIXED, zlib.Z_RLE)


def _recompressions(text: bytes, room: int, *, whitespace_ok: bool = False) -> Iterator[bytes]:
    """zlib streams of `text` that may fill `room` bytes, or leave room for a padding chunk.

    Cleaning usually saves a few bytes, so the chunk must be filled: first the usual
    settings, one of which may fit; then a stream whose last `n` bytes are a stored
    (uncompressed) deflate block: its size moves by a byte or a few as `n` grows, so the
    `n` near where it reaches `room` (found by bisection, then a few either side) usually
    gives exactly `room`. At most ~100 compressions of the text (~300 for XML). The text is padded
    only when it is XML (`whitespace_ok`): exiftool counts a raw profile's trailing
    newlines as data. When none fits, the file is refused, as before.
    """
    for extra in range(8 if whitespace_ok else 1):
        padded = text + b" " * extra  # (after an XML document's root element: allowed)
        for strategy in _STRATEGIES:
            for level in (9, 6, 4, 1):
                for mem_level in (9, 8):
                    squeeze = zlib.compressobj(level, zlib.DEFLATED, 15, mem_level, strategy)
                    yield squeeze.compress(padded) + squeeze.flush()
    adler = struct.pack(">I", zlib.adler32(text) & 0xFFFFFFFF)

    def stored_tail(n: int) -> bytes:
        raw = zlib.compressobj(9, zlib.DEFLATED, -15)  # (a raw deflate stream, no header)
        head = raw.compress(text[: len(text) - n]) + raw.flush(zlib.Z_SYNC_FLUSH)
        stored = b"\x01" + struct.pack("<HH", n, n ^ 0xFFFF) + text[len(text) - n :]
        return _ZLIB_HEADER + head + stored + adler

    low, high = 0, min(len(text), 0xFFFF)
    while low < high:  # the smallest n whose stream fills the room (sizes grow with n)
        middle = (low + high) // 2
        if len(stored_tail(middle)) < room:
            low = middle + 1
        else:
            high = middle
    for n in range(max(0, low - _STORED_WINDOW), min(high + _STORED_WINDOW, 0xFFFF, len(text)) + 1):
        yield stored_tail(n)


_ZLIB_HEADER = b"\x78\xda"  # deflate, 32 KiB window, maximum compression (RFC 1950)
_STORED_WINDOW = 24


def _png_chunk_bytes(ctype: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


def _free_text(result: ScanResult, keyword: bytes, text: bytes, start: int, end: int) -> None:
    """A PNG text chunk (Comment, Description, Location...) that holds coordinates is
    blanked with spaces (its CRC is then recomputed)."""
    scratch, _ = _clean_free_text(keyword, text)
    for leak in scratch.findings:
        result.add(leak, [Patch(start, b" " * (end - start))] if end > start else [])


def _clean_free_text(keyword: bytes, text: bytes) -> tuple[ScanResult, bytes]:
    """A text that holds coordinates, and the same text as spaces."""
    scratch = ScanResult("text")
    name = keyword.decode("latin-1", "replace")
    leak = text_finding(f"PNG text {name}", text.decode("utf-8", "replace"))
    if leak is None:
        return scratch, text
    scratch.add(leak, [Patch(0, b" " * len(text))])
    return scratch, b" " * len(text)


def _clean_payload(payload: bytes, opts: ScrubOptions, kind: bytes) -> tuple[ScanResult, bytes]:
    """A profile's text (`kind` from its keyword, b"" for bare XMP) cleaned: what it holds
    and the cleaned text, of the same length (hex stays hex)."""
    scratch = ScanResult("profile")
    if (
        (kind and payload.startswith(b"\n"))
        or (  # ImageMagick's "\nKIND\n  LEN\nHEX..."
            b"\n" in payload[:40] and all(c in b"0123456789abcdefABCDEF \n" for c in payload[-64:])
        )
    ):
        if not kind:
            kind = b"exif" if _unhex(payload).startswith((b"Exif", b"MM", b"II")) else b"xmp"
        _raw_profile(payload, opts, scratch, kind, 0, len(payload))
    else:
        region = Region.whole(payload, 0, len(payload))
        if kind in (b"iptc", b"8bim"):
            _clean_profile(scratch, kind, payload, opts)
        elif payload.startswith((b"Exif", b"MM", b"II")):
            clean_exif(scratch, _exif_start(region), opts)
        else:
            clean_xmp(scratch, region, opts)
    cleaned = bytearray(payload)
    for patch in scratch.patches:
        cleaned[patch.offset : patch.end] = patch.data
    return scratch, bytes(cleaned)


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
        elif chunk.type == b"C2PA":  # content credentials (a JUMBF manifest store)
            clean_jumbf(result, Region.whole(data, body, end - body))
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
