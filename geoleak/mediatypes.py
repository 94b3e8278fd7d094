"""File extensions geoleak treats as media, shared by the ingest and extract stages."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

__all__ = [
    "COMPANION_EXTENSIONS",
    "DOCUMENT_EXTENSIONS",
    "DRONE_VIDEO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "MEDIA_EXTENSIONS",
    "SIDECAR_EXTENSIONS",
    "UNREAD_IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "ZIP_DOCUMENT_EXTENSIONS",
    "is_media",
    "is_video",
    "orphan_companions",
    "telemetry_beside",
    "video_beside",
]

IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".mpo",
        ".heic", ".heif", ".hif", ".avif",
        ".png", ".webp", ".jxl",
        ".tif", ".tiff", ".dng", ".cr2", ".nef", ".nrw", ".arw", ".srw", ".orf", ".rw2",
        ".pef", ".raf", ".3fr", ".erf", ".mef", ".mos", ".srf", ".sr2", ".iiq", ".x3f", ".cr3",
        ".gif", ".bmp", ".psd", ".psb",
        ".jp2", ".jpx", ".jpf", ".jpm", ".jph", ".j2k", ".j2c", ".jhc",  # JPEG 2000, HTJ2K
    }
)  # fmt: skip
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3g2", ".avi", ".mkv"})
SIDECAR_EXTENSIONS = frozenset({".xmp"})
# Image formats that can carry EXIF, XMP or IPTC location (exiftool reads it) but that
# geoleak does not read: audit lists such a file as not examined, never as clean.
UNREAD_IMAGE_EXTENSIONS = frozenset(
    {
        ".exv", ".crw", ".mie", ".miff",  # Exiv2 and ExifTool metadata files, Canon CIFF
    }
)  # fmt: skip
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS
# A camera's copies of a video, written beside it: GoPro's low-resolution proxy
# (GL010001.LRV beside GX010001.MP4 or GH010001.MP4, GOPR0001.LRV beside GOPR0001.MP4: an
# MP4 with the same GPMF GPS track), its thumbnail (GX010001.THM, a JPEG; Canon writes
# MVI_0001.THM beside MVI_0001.MOV) and DJI's proxy (DJI_0001.LRF beside DJI_0001.MP4).
# Audit examines them and scrub cleans them (it tells formats by content): a card folder's
# copies leak what the originals do. Evidence only where the original is not in the same
# folder (`orphan_companions`: the video was deleted or never copied), so that a moment is
# never counted twice.
COMPANION_EXTENSIONS = frozenset({".lrv", ".thm", ".lrf"})
# Documents that can carry a photo's XMP or IPTC place (exiftool's PDF and EPS samples
# name Kingston, Ontario): not media, not cleaned, but audit reads their XMP, a PDF's
# embedded JPEG photos and an EPS's Photoshop resources (remedy/documents.py) and lists a
# document that holds a location as leaking, one scrub cannot clean.
# Office Open XML (Word, Excel, PowerPoint), OpenDocument, EPUB and Apple iWork files are
# zip archives that keep an inserted photo's own file (word/media/image1.jpeg, Pictures/...),
# its EXIF GPS included: audit reads those photos too.
ZIP_DOCUMENT_EXTENSIONS = frozenset({
    ".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".pptm", ".ppsx",
    ".odt", ".ods", ".odp", ".odg", ".epub", ".pages", ".key", ".numbers",
})  # fmt: skip
DOCUMENT_EXTENSIONS = frozenset({".pdf", ".eps", ".epsf", ".ps", ".ai"}) | ZIP_DOCUMENT_EXTENSIONS
# A DJI drone writes DJI_0001.SRT (its flight telemetry) beside DJI_0001.MP4 or .MOV.
DRONE_VIDEO_EXTENSIONS = (".MP4", ".MOV", ".mp4", ".mov")
_SUBTITLE_EXTENSIONS = (".SRT", ".srt")


def is_media(path: str | Path) -> bool:
    """True when the file's extension is one geoleak reads metadata from."""
    return Path(path).suffix.lower() in MEDIA_EXTENSIONS


def is_video(path: str | Path) -> bool:
    """True when the file's extension is a video's."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _original_key(stem: str) -> str:
    """What a video and its companions share: the stem, without regard to case, and for
    GoPro's HERO6-and-later names (GHnnnnnn H.264 / GXnnnnnn HEVC video and thumbnail,
    GLnnnnnn proxy) the number alone."""
    upper = stem.upper()
    if len(upper) == 8 and upper[:2] in ("GH", "GX", "GL") and upper[2:].isdigit():
        return "G*" + upper[2:]
    return upper


def orphan_companions(names: Collection[str]) -> frozenset[str]:
    """The companions (`COMPANION_EXTENSIONS`) among a folder's file `names` whose original
    video is not among them (names compared without regard to case, as camera cards are
    FAT): the only copy left of that moment, so evidence, once: of a proxy and a thumbnail
    of the same video, the proxy (it holds the GPS track). A companion whose original is
    there is not evidence (the original is read)."""
    companions = sorted(n for n in names if os.path.splitext(n)[1].lower() in COMPANION_EXTENSIONS)
    if not companions:
        return frozenset()
    videos = {
        _original_key(os.path.splitext(n)[0])
        for n in names
        if os.path.splitext(n)[1].lower() in VIDEO_EXTENSIONS
    }
    chosen: dict[str, str] = {}
    for name in companions:
        stem, suffix = os.path.splitext(name)
        key = _original_key(stem)
        if key in videos:
            continue
        held = chosen.get(key)
        if held is None or (suffix.lower() != ".thm" and held.lower().endswith(".thm")):
            chosen[key] = name
    return frozenset(chosen.values())


def _beside(path: str, wanted: tuple[str, ...], names: Collection[str] | None) -> str | None:
    base = os.path.splitext(path)[0]
    stem = os.path.basename(base)
    for suffix in wanted:
        if stem + suffix in names if names is not None else os.path.isfile(base + suffix):
            return base + suffix
    return None


def telemetry_beside(
    video: str | os.PathLike[str], names: Collection[str] | None = None
) -> str | None:
    """The drone telemetry subtitles (`DJI_0001.SRT`) beside a video (`DJI_0001.MP4`), or
    None; `names` is the listing of the video's folder when the caller has it."""
    own = os.fspath(video)
    if not own.endswith(DRONE_VIDEO_EXTENSIONS):
        return None
    return _beside(own, _SUBTITLE_EXTENSIONS, names)


def video_beside(subtitles: str | os.PathLike[str]) -> str | None:
    """The video (`DJI_0001.MP4`/`.MOV`) whose telemetry subtitles these are, or None."""
    own = os.fspath(subtitles)
    if not own.endswith(_SUBTITLE_EXTENSIONS):
        return None
    return _beside(own, DRONE_VIDEO_EXTENSIONS, None)
