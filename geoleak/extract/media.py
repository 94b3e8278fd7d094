"""Reading a media file's metadata into a `MediaMeta` (the scan record).

`read_media` sniffs the format from the first bytes (not the extension) and hands the
file to a small bounds-checked reader (`containers`, `isobmff`) that reads only the
metadata blocks: JPEG/MPO APP1 segments up to the first scan, TIFF/DNG/raw IFDs, HEIC/AVIF
Exif and XMP items, PNG eXIf/iTXt, WebP EXIF/XMP chunks, JPEG XL Exif/xml boxes,
MP4/MOV/3GP location atoms, FLIR records, XMP sidecars and Google Takeout JSON sidecars.
Pixels are never decoded.

It never raises for a problem with the file: an unreadable, empty or truncated file gives a
record with `error` set or a warning, and a bad value gives a warning, so one file cannot
stop a batch. Should a reader itself fail on a pathological file, the file is read again
with Pillow (+ pillow-heif) and the record says so in a warning.

Positions: the first metadata block with a *valid* position wins (EXIF, then XMP, then
vendor records, then QuickTime atoms); (0, 0), out-of-range values, zero denominators and
wrong value counts give a warning and no position. A missing hemisphere reference is read
as north/east with a warning (see `geoleak.extract.gps`). An image without a position of
its own takes one from its `.xmp` sidecar (`IMG_1.xmp` or `IMG_1.JPG.xmp`) or Google
Takeout JSON sidecar (`IMG_1.JPG.json`, `IMG_1.JPG.supplemental-metadata.json`), with
`position_source` "sidecar" or "takeout".
"""

from __future__ import annotations

import os
import stat
import warnings as _warnings
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from geoleak import jsonlimits
from geoleak.extract import containers, isobmff
from geoleak.extract import tiff as T
from geoleak.extract.builder import MetaBuilder, clean_text
from geoleak.extract.gps import parse_exif_datetime, position_from_exif, rational
from geoleak.extract.source import Source
from geoleak.fileid import digest_of, edges, same_edges
from geoleak.formats.sniff import LOCATION_FILE_FORMATS, sniff
from geoleak.mediatypes import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, telemetry_beside
from geoleak.types import MediaMeta, TrackPoint

__all__ = ["EMPTY_FILE", "read_media", "read_media_digest", "read_media_pillow", "sniff_format"]

EMPTY_FILE = "file is empty"  # (MediaMeta.error of a file of 0 bytes: it holds nothing)

_BY_EXTENSION = {
    ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".jfif": "jpeg", ".mpo": "jpeg",
    ".png": "png", ".heic": "isobmff", ".heif": "isobmff", ".hif": "isobmff",
    ".avif": "isobmff", ".mp4": "isobmff", ".m4v": "isobmff", ".mov": "isobmff",
    ".qt": "isobmff", ".3gp": "isobmff", ".3g2": "isobmff", ".jxl": "jxl",
}  # fmt: skip
_MAX_SIDECAR = 4 * 1024 * 1024


def sniff_format(head: bytes, suffix: str = "") -> str | None:
    """The format `read_media` reads a file as (see `geoleak.formats.sniff`)."""
    fmt = sniff(head, suffix)
    if fmt == "jxl-codestream":
        return "jxl"
    if fmt in LOCATION_FILE_FORMATS:
        return "json" if suffix == ".json" else None  # tracks are read by ingest, not here
    return fmt


def read_media(path: str | os.PathLike[str], *, display_path: str | None = None) -> MediaMeta:
    """Metadata of one file; `display_path` is what the record's `path` says."""
    return _read(path, display_path, digest=False)[0]


def read_media_digest(
    path: str | os.PathLike[str], *, display_path: str | None = None, like: str | None = None
) -> tuple[MediaMeta, str | bool | None]:
    """`read_media` and the file's content identity (`fileid.media_digest`, equal to it),
    from one open and one read of the file's head; the digest is None when the file cannot
    be read.

    `like`: a file this one may be a copy of; when it has the same identity the second
    element is True and nothing is hashed (a copy is told by comparing bytes).
    """
    return _read(path, display_path, digest=True, like=like)


def _read(
    path: str | os.PathLike[str], display_path: str | None, *, digest: bool,
    like: str | None = None,
) -> tuple[MediaMeta, str | bool | None]:  # fmt: skip
    shown = display_path if display_path is not None else str(path)
    content_id: str | bool | None = None
    try:
        # O_NONBLOCK: a FIFO or device named like a photo must not hang the scan
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return MediaMeta(path=shown, error="not a regular file"), None
            size = info.st_size
            if size == 0:  # (its identity is that of every empty file, as media_digest says)
                return MediaMeta(path=shown, error=EMPTY_FILE), (
                    digest_of(0, (b"", b"")) if digest else None
                )
            src = Source(fd, size)
            if digest:
                own = edges(size, src.head, src.read)
                if like is not None and same_edges(size, own, like):
                    content_id = True
                else:
                    content_id = digest_of(size, own)
            meta = MetaBuilder()
            _read_known(src, meta, path)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return MediaMeta(path=shown, error="file not found"), None
    except PermissionError:
        return MediaMeta(path=shown, error="permission denied"), None
    except IsADirectoryError:
        return MediaMeta(path=shown, error="is a folder, not a file"), None
    except OSError as exc:
        return MediaMeta(path=shown, error=f"cannot read file: {exc.strerror or exc}"), None
    except Exception as exc:
        fallback = read_media_pillow(path, display_path=shown)
        note = f"geoleak's reader failed ({type(exc).__name__}: {exc}); read with Pillow"
        return _with_warning(fallback, note), content_id
    if meta.position is None and meta.error is None and meta.format not in ("xmp", "json"):
        _read_sidecars(path, meta)
    if meta.error is None:
        subtitles = telemetry_beside(path, _folder_names(os.path.dirname(os.fspath(path))))
        if subtitles is not None:
            _read_drone_telemetry(subtitles, meta)
    return meta.build(shown), content_id


_SIGNATURES = {"jpeg": (0, b"\xff\xd8\xff"), "png": (0, b"\x89PNG\r\n\x1a\n"),
               "isobmff": (4, b"ftyp"), "jxl": (0, b"\x00\x00\x00\x0cJXL \r\n\x87\n")}  # fmt: skip


def _nearly_signed(head: bytes, suffix: str) -> bool:
    """True when the format the extension names has its signature with one byte damaged."""
    at, signature = _SIGNATURES[_BY_EXTENSION[suffix]]
    found = head[at : at + len(signature)]
    if len(found) < len(signature) or len(head) < 16:
        return False
    return sum(a != b for a, b in zip(found, signature, strict=True)) <= 1


def _read_known(src: Source, meta: MetaBuilder, path: str | os.PathLike[str]) -> None:
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    fmt = sniff_format(src.head, suffix)
    if fmt is None and suffix in _BY_EXTENSION and _nearly_signed(src.head, suffix):
        # a damaged signature: the metadata behind it may still be intact (and leak)
        fmt = _BY_EXTENSION[suffix]
        meta.warn(f"file signature is damaged ({src.head[:4].hex(' ')}); read as {fmt} "
                  "by its extension")  # fmt: skip
    meta.format = fmt
    if fmt == "jpeg":
        containers.read_jpeg(src, meta)
    elif fmt == "png":
        containers.read_png(src, meta)
    elif fmt == "webp":
        containers.read_webp(src, meta)
    elif fmt == "raf":
        containers.read_raf(src, meta)
    elif fmt == "jxl":
        if src.head[:2] == b"\xff\x0a":  # a bare JPEG XL codestream has no metadata boxes
            return
        isobmff.read_isobmff(src, meta, jxl=True)
    elif fmt in ("isobmff", "jp2"):
        isobmff.read_isobmff(src, meta)
    elif fmt == "j2k-codestream":
        return  # a bare JPEG 2000 codestream has no metadata boxes
    elif fmt == "xmp":
        meta.add_xmp(src.read(0, _MAX_SIDECAR), "XMP sidecar", "xmp")
    elif fmt == "json":
        _read_takeout_json(src.read(0, _MAX_SIDECAR), meta, "takeout")
    elif fmt == "gif":
        containers.read_gif(src, meta)
    elif fmt == "psd":
        containers.read_psd(src, meta)
    elif fmt == "bmp":
        return  # a format without metadata: a record without metadata
    elif fmt is not None:
        containers.read_tiff_file(src, meta)
    else:
        kind = "a media"
        if suffix in IMAGE_EXTENSIONS:
            kind = "an image"
        elif suffix in VIDEO_EXTENSIONS:
            kind = "a video"
        meta.error = f"not {kind} format geoleak can read (starts with {src.head[:8].hex(' ')})"


# -- sidecars -------------------------------------------------------------------------------
def _sidecar_candidates(path: str) -> list[tuple[str, str]]:
    base = os.path.splitext(path)[0]
    return [
        (base + ".xmp", "xmp"),
        (base + ".XMP", "xmp"),
        (path + ".xmp", "xmp"),
        (path + ".json", "json"),
        (path + ".supplemental-metadata.json", "json"),
    ]


_listing_cache: dict[str, frozenset[str]] = {}


def _folder_names(folder: str) -> frozenset[str]:
    """Names in a folder, cached for the few folders a scan is walking through right now
    (one listing instead of five failed opens per file without a position)."""
    names = _listing_cache.get(folder)
    if names is None:
        try:
            names = frozenset(os.listdir(folder or "."))
        except OSError:
            names = frozenset()
        if len(_listing_cache) >= 4:
            _listing_cache.pop(next(iter(_listing_cache)))
        _listing_cache[folder] = names
    return names


def _read_sidecars(path: str | os.PathLike[str], meta: MetaBuilder) -> None:
    own = os.fspath(path)
    present = _folder_names(os.path.dirname(own))
    for candidate, kind in _sidecar_candidates(own):
        name = os.path.basename(candidate)
        if name not in present:
            continue
        try:
            with open(candidate, "rb") as handle:
                data = handle.read(_MAX_SIDECAR)
        except OSError:
            continue
        if kind == "xmp":
            meta.add_xmp(data, f"XMP sidecar {name}", "sidecar")
        else:
            _read_takeout_json(data, meta, "takeout")
        if meta.position is not None:
            return


_MAX_TELEMETRY = 64 * 1024 * 1024  # an hour of DJI subtitles at 30 blocks a second is ~30 MB


def _read_drone_telemetry(subtitles: str, meta: MetaBuilder) -> None:
    """A DJI video's flight from the `.SRT` the drone wrote beside it (`DJI_0001.SRT` for
    `DJI_0001.MP4`): the take-off point (where the pilot stood), else the first fix, is
    the video's position, in place of a rounded QuickTime record; every fix makes its
    track, thinned as a GoPro's. The drone's clock is local time without an offset: it is
    read in the zone at the first position. A film's subtitles are not telemetry."""
    from geoleak.extract.gps import checked_position
    from geoleak.extract.localtime import localize_naive, timezone_at
    from geoleak.formats.dji_srt import looks_like_dji_srt, parse_dji_srt
    from geoleak.geometry import TrackThinner
    from geoleak.paths import open_regular

    name = os.path.basename(subtitles)
    try:
        with open_regular(subtitles) as handle:
            data = handle.read(_MAX_TELEMETRY + 1)
    except OSError as exc:
        meta.warn(f"drone telemetry {name}: cannot read ({exc.strerror or exc})")
        return
    if not looks_like_dji_srt(data[:512]):
        return
    if len(data) > _MAX_TELEMETRY:
        meta.warn(f"drone telemetry {name}: larger than {_MAX_TELEMETRY >> 20} MiB; not read")
        return
    telemetry = parse_dji_srt(data)
    for message in telemetry.warnings[:3]:
        meta.warn(f"drone telemetry {name}: {message}")
    meta.has_metadata = True
    flight = [
        (position, fix.local_time)
        for fix in telemetry.fixes
        if (position := checked_position(fix.lat, fix.lon).position) is not None
    ]
    home = checked_position(*telemetry.home).position if telemetry.home else None
    anchor = home or (flight[0][0] if flight else None)
    if anchor is None:
        meta.warn(f"drone telemetry {name}: no GPS fix")
        return
    zone = timezone_at(anchor)
    fixes = [
        (position, localize_naive(local, zone) if local else None) for position, local in flight
    ]
    if home is not None:
        fixes.insert(0, (home, fixes[0][1] if fixes else None))
    thinner = TrackThinner()
    track = [TrackPoint(position, when) for position, when in fixes if thinner.keep(position, when)]
    if track[-1].position != fixes[-1][0]:
        track.append(TrackPoint(*fixes[-1]))  # where the flight ends
    meta.add_decimal_position(anchor.lat, anchor.lon, "dji-srt",
                              f"DJI flight telemetry {name}", replaces=("quicktime",))  # fmt: skip
    if meta.position_source != "dji-srt":
        return
    meta.track, meta.track_fixes = track, thinner.fixes
    first_time = fixes[0][1]
    if meta.capture_time is None:
        meta.set_time(first_time)
    elif meta.capture_time.tzinfo is not None:
        # DJI, like GoPro, writes its local clock where QuickTime says UTC: the flight's
        # own times show the offset.
        meta.capture_time = isobmff.created_checked(meta.capture_time, first_time, meta)


def _read_takeout_json(data: bytes, meta: MetaBuilder, source: str) -> None:
    """Google Takeout photo sidecar: geoData / geoDataExif and photoTakenTime."""
    try:
        doc = jsonlimits.loads(data, "Takeout sidecar")
    except (ValueError, UnicodeDecodeError, RecursionError):
        meta.warn("Takeout sidecar is not valid JSON; ignored")
        return
    if not isinstance(doc, dict):
        return
    for key in ("geoDataExif", "geoData"):
        geo = doc.get(key)
        if not isinstance(geo, dict):
            continue
        lat, lon = geo.get("latitude"), geo.get("longitude")
        if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            continue
        if lat == 0 and lon == 0:
            continue  # Takeout writes 0.0, 0.0 for "no location": not even a warning
        alt = geo.get("altitude")
        meta.add_decimal_position(
            float(lat), float(lon), source, f"Takeout {key}",
            alt_m=float(alt) if isinstance(alt, (int, float)) and alt else None,
        )  # fmt: skip
        break
    taken = doc.get("photoTakenTime")
    if isinstance(taken, dict):
        try:
            seconds = int(str(taken.get("timestamp")))
            meta.set_time(datetime.fromtimestamp(seconds, timezone.utc))
        except (ValueError, OverflowError, OSError):
            pass
    meta.has_metadata = True


def _with_warning(meta: MediaMeta, note: str) -> MediaMeta:
    return replace(meta, warnings=(note, *meta.warnings))


# -- Pillow fallback (kept for files our readers cannot parse) --------------------------------
_heif_registered = False

_GPS_IFD, _EXIF_IFD = T.GPS_POINTER, T.EXIF_POINTER
_MAKE, _MODEL, _SOFTWARE, _DATETIME = T.MAKE, T.MODEL, T.SOFTWARE, T.DATETIME
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = T.DATETIME_ORIGINAL, T.OFFSET_TIME_ORIGINAL
_SUBSEC_ORIGINAL, _BODY_SERIAL, _LENS_MODEL = T.SUBSEC_ORIGINAL, T.BODY_SERIAL, T.LENS_MODEL
_LAT_REF, _LAT, _LON_REF, _LON = T.GPS_LAT_REF, T.GPS_LAT, T.GPS_LON_REF, T.GPS_LON
_ALT_REF, _ALT = T.GPS_ALT_REF, T.GPS_ALT


def _register_heif() -> None:
    global _heif_registered  # noqa: PLW0603  (register the opener once per process)
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            pass
        _heif_registered = True


def read_media_pillow(
    path: str | os.PathLike[str], *, display_path: str | None = None
) -> MediaMeta:
    """The same record read through Pillow's `getexif` (slower; EXIF only). Never raises."""
    shown = display_path if display_path is not None else str(path)
    try:
        from PIL import Image, UnidentifiedImageError

        _register_heif()
    except ImportError:
        return MediaMeta(path=shown, error="cannot read metadata (Pillow is not installed)")
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            with Image.open(Path(path)) as image:
                fmt = (image.format or "").lower() or None
                exif = image.getexif()
                return _from_pillow_exif(shown, fmt, exif)
    except FileNotFoundError:
        return MediaMeta(path=shown, error="file not found")
    except PermissionError:
        return MediaMeta(path=shown, error="permission denied")
    except UnidentifiedImageError:
        return MediaMeta(path=shown, error="not an image format geoleak can read")
    except Exception as exc:
        return MediaMeta(path=shown, error=f"cannot read metadata: {exc}")


def _from_pillow_exif(shown: str, fmt: str | None, exif: Any) -> MediaMeta:
    warnings: list[str] = []
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception as exc:
        warnings.append(f"GPS block unreadable: {exc}")
        gps = {}
    try:
        exif_ifd = exif.get_ifd(_EXIF_IFD)
    except Exception as exc:
        warnings.append(f"Exif block unreadable: {exc}")
        exif_ifd = {}
    reading = position_from_exif(gps.get(_LAT), gps.get(_LAT_REF), gps.get(_LON), gps.get(_LON_REF))
    warnings.extend(reading.warnings)
    alt_m = None
    if reading.position is not None and gps.get(_ALT) is not None:
        try:
            alt_m = rational(gps[_ALT])
            ref = gps.get(_ALT_REF)
            if ref in (1, b"\x01") or (isinstance(ref, bytes) and ref[:1] == b"\x01"):
                alt_m = -alt_m
        except ValueError as exc:
            warnings.append(f"GPSAltitude: {exc}; ignored")
    capture = parse_exif_datetime(
        exif_ifd.get(_DATETIME_ORIGINAL), exif_ifd.get(_OFFSET_TIME_ORIGINAL),
        exif_ifd.get(_SUBSEC_ORIGINAL),
    )  # fmt: skip
    if capture is None:
        capture = parse_exif_datetime(exif.get(_DATETIME))
    return MediaMeta(
        path=shown,
        format={"mpo": "jpeg", "heif": "heic"}.get(fmt or "", fmt),
        position=reading.position,
        alt_m=alt_m,
        capture_time=capture,
        make=clean_text(exif.get(_MAKE)),
        model=clean_text(exif.get(_MODEL)),
        serial=clean_text(exif_ifd.get(_BODY_SERIAL)),
        lens=clean_text(exif_ifd.get(_LENS_MODEL)),
        software=clean_text(exif.get(_SOFTWARE)),
        position_source="exif" if reading.position else None,
        warnings=tuple(warnings),
        has_metadata=len(exif) > 0,
    )
