"""Merging what a file's metadata blocks say into one `MediaMeta`.

A file may hold several blocks: EXIF, XMP, a vendor record (FLIR), QuickTime atoms, a
sidecar. The container readers feed each block to a `MetaBuilder` in order of trust
(EXIF first); a field keeps the first usable value. For the position, the first block
that yields a *valid* position wins, so a file whose EXIF GPS is empty or Null Island but
whose XMP holds a position reports the XMP one; the rejected blocks' warnings stay.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any

from geoleak.extract import tiff as T
from geoleak.extract.gps import (
    GpsReading,
    GpsValueError,
    checked_position,
    parse_exif_datetime,
    position_from_exif,
    rational,
)
from geoleak.extract.source import Span
from geoleak.extract.xmp import XmpValues, parse_xmp, parse_xmp_datetime, xmp_number, xmp_position
from geoleak.types import LatLon, MediaMeta, TrackPoint

__all__ = ["MetaBuilder", "clean_text"]

MAX_WARNINGS = 20


def clean_text(value: Any) -> str | None:
    """Printable text from an EXIF string (NULs, padding and control characters removed)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.split(b"\x00", 1)[0].decode("utf-8", "replace")
    elif not isinstance(value, str):
        return None
    if not value.isprintable():
        value = "".join(ch for ch in value if ch.isprintable())
    text = value.strip()
    return text[:200] or None


def _first_number(value: Any) -> float | None:
    if value is None or isinstance(value, (bytes, str)):
        return None
    if isinstance(value, tuple) and value:
        value = value[0]  # the first of several values, or a (num, den) pair's container
    try:
        return rational(value)
    except GpsValueError:
        return None


class MetaBuilder:
    """Collects fields from the blocks of one file; `build` makes the record."""

    def __init__(self, fmt: str | None = None) -> None:
        self.format = fmt
        self.position: LatLon | None = None
        self.position_source: str | None = None
        self.alt_m: float | None = None
        self.capture_time: datetime | None = None
        self.gps_time: datetime | None = None
        self.accuracy_m: float | None = None
        self.direction_deg: float | None = None
        self.make: str | None = None
        self.model: str | None = None
        self.serial: str | None = None
        self.lens: str | None = None
        self.software: str | None = None
        self.has_metadata = False
        self.warnings: list[str] = []
        self.error: str | None = None
        self.exif_modify_time: datetime | None = None
        self.pending_xmp: list[bytes] = []  # XMP found inside EXIF (TIFF tag 700)
        self.time_from_gps = False  # capture_time's offset: camera clock vs GPS UTC time
        self.track: list[TrackPoint] = []  # a video's thinned GPS track (see MediaMeta)
        self.track_fixes = 0

    # -- helpers -------------------------------------------------------------------
    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS and message not in self.warnings:
            self.warnings.append(message)

    def set_text(self, name: str, value: Any) -> None:
        if value is not None and getattr(self, name) is None:
            text = clean_text(value)
            if text is not None:
                setattr(self, name, text)

    def set_time(self, value: datetime | None) -> None:
        if self.capture_time is None and value is not None:
            self.capture_time = value

    def offer_position(
        self,
        reading: GpsReading,
        source: str,
        *,
        alt_m: float | None = None,
        gps_time: datetime | None = None,
        accuracy_m: float | None = None,
        direction_deg: float | None = None,
        replaces: tuple[str, ...] = (),
    ) -> None:
        """A block's position; the first valid one is kept with its GPS details, unless the
        one kept came from a source in `replaces` (a coarser record of the same fix)."""
        for message in reading.warnings:
            self.warn(message)
        if reading.position is None:
            return
        if self.position is not None:
            if self.position_source not in replaces:
                return
            self.alt_m = self.accuracy_m = self.direction_deg = None
        self.position = reading.position
        self.position_source = source
        if alt_m is not None and math.isfinite(alt_m) and -12_000 <= alt_m <= 100_000:
            self.alt_m = alt_m
        elif alt_m is not None:
            self.warn(f"{source}: altitude {alt_m} m is implausible; ignored")
        self.gps_time = gps_time
        if accuracy_m is not None and math.isfinite(accuracy_m) and accuracy_m > 0:
            self.accuracy_m = accuracy_m
        if direction_deg is not None and math.isfinite(direction_deg):
            if 0 <= direction_deg <= 360:
                self.direction_deg = direction_deg % 360
            else:
                self.warn(f"{source}: image direction {direction_deg} is not in 0-360; ignored")

    # -- EXIF ------------------------------------------------------------------------
    def add_exif(self, block: bytes | Span, what: str = "EXIF") -> None:
        """A TIFF structure (EXIF payload without its 'Exif\\0\\0' prefix)."""
        try:
            ifd0, exif, gps, warnings = T.read_tiff_tags(block, what)
        except T.TiffError as exc:
            self.warn(f"{what}: {exc}")
            return
        for message in warnings:
            self.warn(message)
        self.add_tags(ifd0, exif, gps, what)

    def add_tags(
        self, ifd0: dict[int, Any], exif: dict[int, Any], gps: dict[int, Any], what: str
    ) -> None:
        """Decoded IFD0, Exif IFD and GPS IFD tags (see `tiff.read_tiff_tags`)."""
        if ifd0 or exif or gps:
            self.has_metadata = True
        self.set_text("make", ifd0.get(T.MAKE))
        self.set_text("model", ifd0.get(T.MODEL))
        self.set_text("software", ifd0.get(T.SOFTWARE))
        self.set_text("make", exif.get(T.MAKE))  # misplaced in the Exif IFD by some writers
        self.set_text("model", exif.get(T.MODEL))
        self.set_text("serial", exif.get(T.BODY_SERIAL))
        self.set_text("serial", ifd0.get(T.DNG_CAMERA_SERIAL))
        self.set_text("lens", exif.get(T.LENS_MODEL))
        capture = parse_exif_datetime(
            exif.get(T.DATETIME_ORIGINAL), exif.get(T.OFFSET_TIME_ORIGINAL),
            exif.get(T.SUBSEC_ORIGINAL),
        )  # fmt: skip
        if capture is None:
            capture = parse_exif_datetime(
                exif.get(T.DATETIME_DIGITIZED), exif.get(T.OFFSET_TIME_DIGITIZED),
                exif.get(T.SUBSEC_DIGITIZED),
            )  # fmt: skip
        self.set_time(capture)
        if gps:
            self._add_exif_gps(gps, what)
        # IFD0 DateTime is the file's modification time; it is only a last resort
        if self.exif_modify_time is None:
            self.exif_modify_time = parse_exif_datetime(
                ifd0.get(T.DATETIME), ifd0.get(T.OFFSET_TIME) or exif.get(T.OFFSET_TIME),
                exif.get(T.SUBSEC_TIME),
            )  # fmt: skip
        xmp_packet = ifd0.get(T.XMP_TAG)
        if isinstance(xmp_packet, bytes):
            self.pending_xmp.append(xmp_packet)

    def _add_exif_gps(self, gps: dict[int, Any], what: str) -> None:
        lat, lon = gps.get(T.GPS_LAT), gps.get(T.GPS_LON)
        # a zero-length value is an empty tag: no position, not a malformed one
        lat = None if lat in (b"", ()) else lat
        lon = None if lon in (b"", ()) else lon
        reading = position_from_exif(
            lat, gps.get(T.GPS_LAT_REF), lon, gps.get(T.GPS_LON_REF), what=f"{what} GPS"
        )
        if reading.position is None:
            self.offer_position(reading, "exif")
            return
        alt = _first_number(gps.get(T.GPS_ALT))
        if alt is not None:
            ref = gps.get(T.GPS_ALT_REF)
            ref_value = ref[:1] if isinstance(ref, bytes) else (ref[0] if ref else 0)
            if ref_value in (b"\x01", 1):
                alt = -alt
        status = clean_text(gps.get(T.GPS_STATUS))
        if status is not None and status.upper().startswith("V"):
            self.warn(f"{what} GPS: GPSStatus is V (void): the fix may be stale or estimated")
        direction = _first_number(gps.get(T.GPS_IMG_DIRECTION))
        accuracy = _first_number(gps.get(T.GPS_H_POSITIONING_ERROR))
        gps_time = _exif_gps_time(gps.get(T.GPS_DATESTAMP), gps.get(T.GPS_TIMESTAMP))
        self.offer_position(
            reading, "exif", alt_m=alt, gps_time=gps_time, accuracy_m=accuracy,
            direction_deg=direction,
        )  # fmt: skip

    # -- XMP -------------------------------------------------------------------------
    def add_xmp(self, packet: bytes, what: str = "XMP", source: str = "xmp") -> None:
        values = parse_xmp(packet)
        if not values:
            return
        self.has_metadata = True
        self.add_xmp_values(values, what, source)

    def add_xmp_values(self, values: XmpValues, what: str, source: str) -> None:
        self.set_text("make", values.get("Make"))
        self.set_text("model", values.get("Model"))
        for name in ("BodySerialNumber", "SerialNumber", "CameraSerialNumber"):
            self.set_text("serial", values.get(name))
        self.set_text("lens", values.get("LensModel") or values.get("Lens"))
        self.set_text("software", values.get("CreatorTool") or values.get("Software"))
        for name in ("DateTimeOriginal", "DateCreated", "CreateDate"):
            if self.capture_time is not None:
                break
            self.set_time(parse_xmp_datetime(values.get(name)))
        reading = xmp_position(values, what)
        if reading.position is None:
            self.offer_position(reading, source)
            return
        alt = xmp_number(values.get("GPSAltitude"))
        if alt is not None and values.get("GPSAltitudeRef") == "1":
            alt = -alt
        if alt is None:
            alt = xmp_number(values.get("AbsoluteAltitude"))
        self.offer_position(
            reading, source, alt_m=alt,
            gps_time=_utc(parse_xmp_datetime(values.get("GPSTimeStamp"))),
            accuracy_m=xmp_number(values.get("GPSHPositioningError")),
            direction_deg=xmp_number(values.get("GPSImgDirection")),
        )  # fmt: skip

    # -- decimal positions (vendor records, QuickTime, sidecars) ---------------------
    def add_decimal_position(
        self, lat: float, lon: float, source: str, what: str, *, alt_m: float | None = None,
        accuracy_m: float | None = None, gps_time: datetime | None = None,
        replaces: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self.has_metadata = True
        self.offer_position(
            checked_position(lat, lon, what=what), source, alt_m=alt_m,
            accuracy_m=accuracy_m, gps_time=gps_time, replaces=replaces,
        )  # fmt: skip

    # -- result ----------------------------------------------------------------------
    def build(self, path: str) -> MediaMeta:
        if self.capture_time is None:
            self.capture_time = self.exif_modify_time
        return MediaMeta(
            path=path,
            format=self.format,
            position=self.position,
            alt_m=self.alt_m,
            capture_time=self.capture_time,
            offset_from_gps=self.time_from_gps and self.capture_time is not None,
            gps_time=self.gps_time,
            accuracy_m=self.accuracy_m,
            direction_deg=self.direction_deg,
            make=self.make,
            model=self.model,
            serial=self.serial,
            lens=self.lens,
            software=self.software,
            position_source=self.position_source,
            track=tuple(self.track),
            track_fixes=self.track_fixes,
            has_metadata=self.has_metadata,
            warnings=tuple(self.warnings),
            error=self.error,
        )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)  # XMP GPS time is UTC by definition
    return value.astimezone(timezone.utc)


def _exif_gps_time(datestamp: Any, timestamp: Any) -> datetime | None:
    """UTC time of the GPS fix from GPSDateStamp ('YYYY:MM:DD') and GPSTimeStamp (h, m, s)."""
    if datestamp is None or timestamp is None or isinstance(timestamp, bytes):
        return None
    text = clean_text(datestamp)
    if not text or len(timestamp) != 3:
        return None
    try:
        year, month, day = (int(part) for part in text.replace("-", ":").split(":")[:3])
        hours, minutes, seconds = (rational(part) for part in timestamp)
        if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
            return None
        base = datetime(year, month, day, tzinfo=timezone.utc)
    except (ValueError, GpsValueError, TypeError):
        return None
    return base + timedelta(hours=hours, minutes=minutes, seconds=seconds)
