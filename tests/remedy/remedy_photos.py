"""Fictional photos for the remedy tests, made with Pillow (GPS, capture time, device)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

from PIL import Image
from PIL.TiffImagePlugin import IFDRational


def dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    deg = int(value)
    minutes = int((value - deg) * 60)
    seconds = Fraction(round(((value - deg) * 60 - minutes) * 60 * 10000), 10000)
    return (
        IFDRational(deg, 1),
        IFDRational(minutes, 1),
        IFDRational(seconds.numerator, seconds.denominator),
    )


def photo(
    lat: float | None,
    lon: float | None,
    when: datetime,
    *,
    fmt: str = "JPEG",
    serial: str | None = "SN-FICTION-0001",
    orientation: int | None = 6,
    size: tuple[int, int] = (40, 30),
    seed: int = 0,
) -> bytes:
    """A small image whose EXIF says where and when it was taken, and with which camera."""
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 128))
    for x in range(0, size[0], 5):
        for y in range(size[1]):
            image.putpixel((x, y), ((x * 7 + seed) % 256, (y * 11) % 256, 60))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Fictocam", "FC-1"
    if orientation:
        exif[0x0112] = orientation
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")
    if serial:
        exif_ifd[0xA431] = serial
    if lat is not None and lon is not None:
        gps = exif.get_ifd(0x8825)
        gps[0] = b"\x02\x03\x00\x00"
        gps[1] = "S" if lat < 0 else "N"
        gps[2] = dms(lat)
        gps[3] = "W" if lon < 0 else "E"
        gps[4] = dms(lon)
        gps[6] = IFDRational(1234, 10)
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes(), **({"quality": 80} if fmt == "JPEG" else {}))
    return out.getvalue()


# A fictional person: home in a quiet street, work 3 km away (high latitude on purpose).
HOME = (69.6489, 18.9551)
WORK = (69.6755, 18.9780)


def fictional_folder(root: Path) -> Path:
    """Three weeks of photos: evenings at home, weekday middays at work, one without GPS."""
    folder = root / "kari"
    folder.mkdir(parents=True)
    start = datetime(2026, 3, 2, 0, 0)  # a Monday
    for day in range(21):
        date = start + timedelta(days=day)
        jitter = (day % 5) * 0.00008
        (folder / f"home_{day:02d}.jpg").write_bytes(
            photo(HOME[0] + jitter, HOME[1] - jitter, date.replace(hour=22, minute=15), seed=day)
        )
        if date.weekday() < 5:
            (folder / f"work_{day:02d}.jpg").write_bytes(
                photo(
                    WORK[0] - jitter,
                    WORK[1] + jitter,
                    date.replace(hour=11, minute=30),
                    seed=100 + day,
                )
            )
    (folder / "nogps.jpg").write_bytes(photo(None, None, start.replace(hour=12), seed=7))
    return folder
