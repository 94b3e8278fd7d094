"""File extensions geoleak treats as media, shared by the ingest and extract stages."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "IMAGE_EXTENSIONS",
    "MEDIA_EXTENSIONS",
    "SIDECAR_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "is_media",
]

IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".mpo",
        ".heic", ".heif", ".hif", ".avif",
        ".png", ".webp", ".jxl",
        ".tif", ".tiff", ".dng", ".cr2", ".nef", ".nrw", ".arw", ".srw", ".orf", ".rw2",
        ".pef", ".raf", ".3fr", ".erf", ".mef", ".mos", ".srf", ".sr2", ".iiq", ".x3f",
        ".gif", ".bmp",
    }
)  # fmt: skip
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3g2", ".avi", ".mkv"})
SIDECAR_EXTENSIONS = frozenset({".xmp"})
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS


def is_media(path: str | Path) -> bool:
    """True when the file's extension is one geoleak reads metadata from."""
    return Path(path).suffix.lower() in MEDIA_EXTENSIONS
