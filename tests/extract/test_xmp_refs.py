"""XMP GPS written as a plain decimal with a separate hemisphere reference.

Apple Photos exports a sidecar with `exif:GPSLongitude` 63.569716666666665 and
`exif:GPSLongitudeRef` W (not the XMP form "63,34.18W"). geoleak read it as east, as
exiftool 12.57 does: a photo taken in Halifax was placed in Uzbekistan, one taken in
Santiago de Chile north-east of Lahore. exiftool-vendored's tests read these files as
-63.569717 and -33.451856 / -70.650466 (src/ReadTask.spec.ts, "Apple Photos exports").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geoleak.extract.media import read_media
from geoleak.extract.xmp import XmpValues, xmp_position

WIDER = Path(__file__).resolve().parent.parent / "data" / "wider"


@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [
        ("exiftoolvendored_apple_photos_export_halifax.xmp", 44.646258, -63.569717),
        ("exiftoolvendored_apple_photos_export_santiago.xmp", -33.451856, -70.650466),
    ],
)
def test_apple_photos_sidecars_are_placed_in_their_hemisphere(
    name: str, lat: float, lon: float
) -> None:
    meta = read_media(WIDER / name)
    assert meta.position is not None
    assert meta.position.lat == pytest.approx(lat, abs=1e-6)
    assert meta.position.lon == pytest.approx(lon, abs=1e-6)


@pytest.mark.parametrize(
    ("lat_text", "lon_text", "refs", "expected"),
    [
        ("44.5", "63.5", {"GPSLatitudeRef": "N", "GPSLongitudeRef": "W"}, (44.5, -63.5)),
        ("44.5", "63.5", {"GPSLatitudeRef": "South", "GPSLongitudeRef": "west"}, (-44.5, -63.5)),
        ("44.5", "63.5", {}, (44.5, 63.5)),  # no reference: as written
        ("44,30.0N", "63,30.0E", {"GPSLongitudeRef": "W"}, (44.5, 63.5)),  # the letter wins
        ("-44.5", "-63.5", {"GPSLatitudeRef": "S", "GPSLongitudeRef": "W"}, (-44.5, -63.5)),
    ],
)
def test_a_separate_reference_signs_only_a_plain_decimal(
    lat_text: str, lon_text: str, refs: dict[str, str], expected: tuple[float, float]
) -> None:
    reading = xmp_position(XmpValues({"GPSLatitude": lat_text, "GPSLongitude": lon_text, **refs}))
    assert reading.position is not None
    assert (reading.position.lat, reading.position.lon) == pytest.approx(expected)
