"""Differential test against exiftool on damaged files: never a *different* position.

Real samples get a few bits flipped in their metadata region (seeded, so the run is
reproducible). Where both geoleak and exiftool report a position for a damaged file, they
must agree; where they disagree on *whether* there is one, geoleak's reason must be one of
the deliberate ones below. Skips when exiftool (Debian: libimage-exiftool-perl) is absent.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from geoleak.extract.media import read_media

SAMPLES = [
    "exiftool_apple_iphone7.jpg",
    "mde_sony_dsc-hx5v.jpg",
    "pheif_apple_iphonexs.heic",
    "mde_htc_desire.webp",
    "synth_exiftool_png_gps_south_west.png",
    "synth_exiftool_dng_gps_below_sea_level.dng",
    "mde_apple_iphone6_with_gps.mov",
    "pillow_google_pixel6_ultrahdr.jpg",
]
MUTANTS_PER_SAMPLE = 25
# geoleak refuses a position exiftool reports when a value is malformed: DMS minutes or
# seconds of 60 or more, a wrong value count, a value outside the block, an XMP coordinate
# with a letter that is no hemisphere, a zero denominator (exiftool then reports 0 degrees),
# a damaged ISO 6709 string, a damaged JPEG marker
DELIBERATE = (
    "60 or more",
    "values, expected",
    "outside the EXIF block",
    "is missing",
    "is not a coordinate",
    "wrong hemisphere letter",
    "zero denominator",
    "is not an ISO 6709 location",
    "marker expected",
)


@pytest.fixture(scope="module")
def mutants(shared_media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mutants")
    rng = random.Random(20261126)
    # A fresh clone has the bundled subset only (tests/data): mutate the samples it has.
    present = [name for name in SAMPLES if (shared_media / name).is_file()]
    assert len(present) >= 5, present
    for name in present:
        data = (shared_media / name).read_bytes()
        video = name.endswith((".mov", ".mp4"))
        for k in range(MUTANTS_PER_SAMPLE):
            buf = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                if video:  # the moov box (with the location) is at the end
                    pos = rng.randrange(max(0, len(buf) - 8000), len(buf))
                else:
                    pos = rng.randrange(min(len(buf), 70_000))
                buf[pos] ^= 1 << rng.randrange(8)
            (folder / f"{k:02d}_{name}").write_bytes(bytes(buf))
    return folder


def test_damaged_files_never_give_a_different_position(mutants: Path) -> None:
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        pytest.skip("exiftool not installed (Debian package libimage-exiftool-perl)")
    out = subprocess.run(
        [exiftool, "-n", "-j", "-q", "-q", "-GPSLatitude", "-GPSLongitude", str(mutants)],
        capture_output=True,
        check=False,
        timeout=300,
    ).stdout
    reference = {Path(r["SourceFile"]).name: r for r in json.loads(out or b"[]")}
    both = 0
    for path in sorted(mutants.iterdir()):
        ours = read_media(path)
        row = reference.get(path.name, {})
        lat, lon = row.get("GPSLatitude"), row.get("GPSLongitude")
        theirs = (
            isinstance(lat, (int, float))
            and isinstance(lon, (int, float))
            and abs(lat) <= 90
            and abs(lon) <= 180
            and (lat, lon) != (0, 0)
        )
        if ours.position is not None and theirs:
            both += 1
            if any("appears twice with different values" in w for w in ours.warnings):
                continue  # a damaged tag number made a duplicate: geoleak keeps the first
                # value, exiftool the last; geoleak said so
            assert abs(abs(ours.position.lat) - abs(lat)) < 1e-6, (path.name, ours.position, lat)
            assert abs(abs(ours.position.lon) - abs(lon)) < 1e-6, (path.name, ours.position, lon)
            if ours.position.lat * lat < 0 or ours.position.lon * lon < 0:
                # signs differ only where a hemisphere reference is damaged or missing
                assert any("hemisphere" in w for w in ours.warnings), (path.name, ours.warnings)
        elif theirs and ours.position is None:
            reasons = " ".join(ours.warnings)
            assert any(r in reasons for r in DELIBERATE), (path.name, lat, lon, ours.warnings)
    assert both >= len(SAMPLES) * MUTANTS_PER_SAMPLE // 2
