"""The tag table: every metadata field geoleak reads or removes, kept as data.

Like exiftool's tag tables, one row per field: its id within its group (a TIFF tag
number, an IPTC dataset, an XMP local name, a QuickTime atom or key, a maker-note tag, a
vendor record), its exiftool-style name, the group, and what it gives away:

- `location`: a position (GPS IFD, ISO 6709 strings, FLIR GPS records...);
- `place`: a place name (City, Sub-location, Country, Canon TimeZoneCity...);
- `time`: capture, digitising and modification times;
- `identity`: ties files to one device (serial numbers, unique ids, maker notes);
- `person`: names a person (artist, author, owner, copyright holder);
- `free text`: comments and descriptions: a leak when they hold coordinates
  (see `formats.coordinates`);
- `device`: make, model, lens and software: read, never removed (they say what took the
  photo, not which one);
- `orientation`: removed only when asked.

Readers (`extract/`) and scrubbers (`remedy/`) look fields up here, so a field one side
knows the other knows too; `tests/formats/test_tag_table.py` checks that every location,
place, identity and person field that can be read can also be removed.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

__all__ = ["TAGS", "Kind", "Tag", "by_group", "tag_id"]


class Kind(str, Enum):
    LOCATION = "location"
    PLACE = "place"
    TIME = "time"
    IDENTITY = "identity"
    PERSON = "person"
    FREE_TEXT = "free text"
    DEVICE = "device"
    ORIENTATION = "orientation"


class Tag(NamedTuple):
    id: int | str | bytes
    name: str
    group: str
    kind: Kind


L, P, T, I, W, F, D, O = (  # noqa: E741  (one letter a kind keeps the table readable)
    Kind.LOCATION, Kind.PLACE, Kind.TIME, Kind.IDENTITY, Kind.PERSON, Kind.FREE_TEXT,
    Kind.DEVICE, Kind.ORIENTATION,
)  # fmt: skip

# (id, name, kind) per group; groups name where the id is looked up.
_TABLE: dict[str, tuple[tuple[int | str | bytes, str, Kind], ...]] = {
    # TIFF tags, in any IFD of an EXIF block or TIFF file (IFD0, ExifIFD, SubIFDs)
    "EXIF": (
        (0x8825, "GPSInfo", L),
        (0x010F, "Make", D),
        (0x0110, "Model", D),
        (0x0131, "Software", D),
        (0xA433, "LensMake", D),
        (0xA434, "LensModel", D),
        (0x013B, "Artist", W),
        (0x8298, "Copyright", W),
        (0xA430, "CameraOwnerName", W),
        (0x9C9D, "XPAuthor", W),
        (0x013C, "HostComputer", I),
        (0x927C, "MakerNote", I),
        (0xA420, "ImageUniqueID", I),
        (0xA431, "BodySerialNumber", I),
        (0xA435, "LensSerialNumber", I),
        (0xC62F, "CameraSerialNumber", I),
        (0xC65D, "RawDataUniqueID", I),
        (0xC68B, "OriginalRawFileName", I),
        (0xC634, "DNGPrivateData", I),
        (0x010E, "ImageDescription", F),
        (0x9286, "UserComment", F),
        (0x9C9B, "XPTitle", F),
        (0x9C9C, "XPComment", F),
        (0x9C9E, "XPKeywords", F),
        (0x9C9F, "XPSubject", F),
        (0x0132, "DateTime", T),
        (0x9003, "DateTimeOriginal", T),
        (0x9004, "DateTimeDigitized", T),
        (0x9010, "OffsetTime", T),
        (0x9011, "OffsetTimeOriginal", T),
        (0x9012, "OffsetTimeDigitized", T),
        (0x9290, "SubSecTime", T),
        (0x9291, "SubSecTimeOriginal", T),
        (0x9292, "SubSecTimeDigitized", T),
        (0x0112, "Orientation", O),
    ),
    # the GPS IFD: all of it is location (removed as one block through GPSInfo)
    "GPS": tuple(
        (n, name, L)
        for n, name in enumerate(
            (
                "GPSVersionID",
                "GPSLatitudeRef",
                "GPSLatitude",
                "GPSLongitudeRef",
                "GPSLongitude",
                "GPSAltitudeRef",
                "GPSAltitude",
                "GPSTimeStamp",
                "GPSSatellites",
                "GPSStatus",
                "GPSMeasureMode",
                "GPSDOP",
                "GPSSpeedRef",
                "GPSSpeed",
                "GPSTrackRef",
                "GPSTrack",
                "GPSImgDirectionRef",
                "GPSImgDirection",
                "GPSMapDatum",
                "GPSDestLatitudeRef",
                "GPSDestLatitude",
                "GPSDestLongitudeRef",
                "GPSDestLongitude",
                "GPSDestBearingRef",
                "GPSDestBearing",
                "GPSDestDistanceRef",
                "GPSDestDistance",
                "GPSProcessingMethod",
                "GPSAreaInformation",
                "GPSDateStamp",
                "GPSDifferential",
                "GPSHPositioningError",
            )
        )
    ),
    # IPTC-IIM application record (record 2) datasets
    "IPTC": (
        (26, "ContentLocationCode", P),
        (27, "ContentLocationName", P),
        (90, "City", P),
        (92, "Sub-location", P),
        (95, "Province-State", P),
        (100, "Country-PrimaryLocationCode", P),
        (101, "Country-PrimaryLocationName", P),
        (80, "By-line", W),
        (85, "By-lineTitle", W),
        (110, "Credit", W),
        (116, "CopyrightNotice", W),
        (118, "Contact", W),
        (122, "Writer-Editor", W),
        (120, "Caption-Abstract", F),
        (105, "Headline", F),
        (5, "ObjectName", F),
        (25, "Keywords", F),  # (geotag machine tags: geo:lat=..., geo:lon=...)
        (40, "SpecialInstructions", F),
        (55, "DateCreated", T),
        (60, "TimeCreated", T),
        (62, "DigitalCreationDate", T),
        (63, "DigitalCreationTime", T),
    ),
    # XMP properties by local name, in any namespace (GPS*/ *Latitude / *Longitude too)
    "XMP": (
        ("LocationCreated", "LocationCreated", L),
        ("LocationShown", "LocationShown", L),
        ("AbsoluteAltitude", "AbsoluteAltitude", L),
        ("RelativeAltitude", "RelativeAltitude", L),
        ("GeoTag", "GeoTag", L),
        ("Geotag", "Geotag", L),
        ("City", "City", P),
        ("State", "State", P),
        ("Country", "Country", P),
        ("CountryCode", "CountryCode", P),
        ("CountryName", "CountryName", P),
        ("Sublocation", "Sublocation", P),
        ("ProvinceState", "ProvinceState", P),
        ("WorldRegion", "WorldRegion", P),
        ("Location", "Location", P),
        # a creator's or licensor's postal address (IPTC Core CreatorContactInfo, PLUS
        # Licensor): where a person lives or works, a place as much as the photo's City
        ("CiAdrExtadr", "CreatorAddress", P),
        ("CiAdrCity", "CreatorCity", P),
        ("CiAdrRegion", "CreatorRegion", P),
        ("CiAdrPcode", "CreatorPostalCode", P),
        ("CiAdrCtry", "CreatorCountry", P),
        ("LicensorStreetAddress", "LicensorStreetAddress", P),
        ("LicensorExtendedAddress", "LicensorExtendedAddress", P),
        ("LicensorCity", "LicensorCity", P),
        ("LicensorRegion", "LicensorRegion", P),
        ("LicensorPostalCode", "LicensorPostalCode", P),
        ("LicensorCountry", "LicensorCountry", P),
        ("SerialNumber", "SerialNumber", I),
        ("LensSerialNumber", "LensSerialNumber", I),
        ("BodySerialNumber", "BodySerialNumber", I),
        ("CameraSerialNumber", "CameraSerialNumber", I),
        ("InternalSerialNumber", "InternalSerialNumber", I),
        ("ImageUniqueID", "ImageUniqueID", I),
        ("DocumentID", "DocumentID", I),
        ("InstanceID", "InstanceID", I),
        ("OriginalDocumentID", "OriginalDocumentID", I),
        ("DerivedFrom", "DerivedFrom", I),
        ("History", "History", I),
        ("Ingredients", "Ingredients", I),
        ("LastKeywordXMP", "LastKeywordXMP", I),
        ("OwnerName", "OwnerName", W),
        ("CameraOwnerName", "CameraOwnerName", W),
        ("creator", "Creator", W),
        ("rights", "Rights", W),
        ("Artist", "Artist", W),
        ("Credit", "Credit", W),
        ("CreatorContactInfo", "CreatorContactInfo", W),
        ("CiEmailWork", "CreatorWorkEmail", W),
        ("CiTelWork", "CreatorWorkTelephone", W),
        ("CiUrlWork", "CreatorWorkURL", W),
        ("LicensorName", "LicensorName", W),
        ("LicensorEmail", "LicensorEmail", W),
        ("LicensorTelephone1", "LicensorTelephone1", W),
        ("LicensorTelephone2", "LicensorTelephone2", W),
        ("LicensorURL", "LicensorURL", W),
        # the other parties of PLUS License Data Format 1.2 (plus:...Detail structures):
        # people and companies by name and by registry id
        ("LicensorID", "LicensorID", W),
        ("ImageCreatorName", "ImageCreatorName", W),
        ("ImageCreatorID", "ImageCreatorID", W),
        ("CopyrightOwnerName", "CopyrightOwnerName", W),
        ("CopyrightOwnerID", "CopyrightOwnerID", W),
        ("LicenseeName", "LicenseeName", W),
        ("LicenseeID", "LicenseeID", W),
        ("EndUserName", "EndUserName", W),
        ("EndUserID", "EndUserID", W),
        ("ImageSupplierName", "ImageSupplierName", W),
        ("ImageSupplierID", "ImageSupplierID", W),
        ("AuthorsPosition", "AuthorsPosition", W),
        ("CaptionWriter", "CaptionWriter", W),
        ("Owner", "Owner", W),
        ("Author", "Author", W),
        ("PersonInImage", "PersonInImage", W),
        ("description", "Description", F),
        ("title", "Title", F),
        ("Headline", "Headline", F),
        ("subject", "Subject", F),  # dc:subject, the keywords (geotag machine tags)
        ("Instructions", "Instructions", F),
        ("UserComment", "UserComment", F),
        ("ImageDescription", "ImageDescription", F),
        ("CreateDate", "CreateDate", T),
        ("ModifyDate", "ModifyDate", T),
        ("MetadataDate", "MetadataDate", T),
        ("DateTimeOriginal", "DateTimeOriginal", T),
        ("DateTimeDigitized", "DateTimeDigitized", T),
        ("DateCreated", "DateCreated", T),
        ("DateTime", "DateTime", T),
        ("DateAcquired", "DateAcquired", T),
        ("Make", "Make", D),
        ("Model", "Model", D),
        ("Lens", "Lens", D),
        ("LensModel", "LensModel", D),
        ("CreatorTool", "CreatorTool", D),
        ("Software", "Software", D),
        ("Orientation", "Orientation", O),
    ),
    # QuickTime / 3GPP user-data atoms (moov/udta, trak/udta)
    "QuickTime": (
        (b"\xa9xyz", "GPSCoordinates", L),
        (b"loci", "LocationInformation", L),
        (b"\xa9lox", "LocationBody", L),
        (b"\xa9aut", "Author", W),
        (b"\xa9ART", "Artist", W),
        (b"auth", "3GPP Author", W),
        (b"\xa9snm", "SerialNumber", I),
        (b"\xa9cmt", "Comment", F),
        (b"\xa9des", "Description", F),
        (b"\xa9inf", "Information", F),
        (b"dscp", "3GPP Description", F),
        (b"\xa9day", "ContentCreateDate", T),
        (b"date", "DateTimeOriginal", T),
        (b"\xa9mak", "Make", D),
        (b"\xa9mod", "Model", D),
        (b"\xa9swr", "Software", D),
    ),
    # QuickTime `keys` (com.apple.quicktime.*, Android and others): matched by suffix
    "QuickTime keys": (
        (".location.ISO6709", "GPSCoordinates", L),
        (".location.", "Location*", L),
        (".location", "Location", L),
        ("gps", "GPS*", L),
        (".author", "Author", W),
        (".artist", "Artist", W),
        (".owner", "Owner", W),
        (".camera.identifier", "CameraIdentifier", I),
        (".content.identifier", "ContentIdentifier", I),
        (".serialnumber", "SerialNumber", I),
        (".serial", "SerialNumber", I),
        (".description", "Description", F),
        (".comment", "Comment", F),
        (".title", "Title", F),
        (".creationdate", "CreationDate", T),
        (".make", "Make", D),
        (".model", "Model", D),
        (".software", "Software", D),
    ),
    # maker notes and vendor records
    "Panasonic": (
        (0x67, "Location", P),
        (0x69, "Country", P),
        (0x6B, "State", P),
        (0x6D, "City", P),
        (0x6F, "Landmark", P),
        (0x80, "City2", P),
    ),
    "Nikon": ((0x0039, "LocationInfo", P), (0x001D, "SerialNumber", I)),
    "Canon": (
        (0x0035, "TimeZoneCity", P),  # TimeInfo[2]
        (0x0009, "OwnerName", W),
        (0x000C, "SerialNumber", I),
    ),
    # FLIR FFF records: record type, or CameraInfo byte offset for its fields
    "FLIR": (
        (0x2B, "GPSInfo", L),
        (0x104, "CameraSerialNumber", I),
        (0x1A0, "LensSerialNumber", I),
        (0x21C, "FilterSerialNumber", I),
    ),
    # InfiRay thermal cameras: the APP9 'infisense' record holds the sensor serials
    "InfiRay": (("infisense", "IRSensorSerialNumber", I),),
    # Ricoh RMETA (APP5): user-defined fields such as Location
    "RMETA": (("Location", "Location", P),),
    # GoPro APP6 GPMF: GPS on GPS-equipped models, else serial and media id
    "GoPro": (("GPS5", "GPSTelemetry", L), ("CASN", "CameraSerialNumber", I)),
    # text chunks of PNG, by keyword (any keyword is free text)
    "PNG": (("tEXt", "Text", F), ("iTXt", "InternationalText", F)),
}

TAGS: tuple[Tag, ...] = tuple(
    Tag(tid, name, group, kind) for group, rows in _TABLE.items() for tid, name, kind in rows
)

_BY_GROUP: dict[str, dict[int | str | bytes, Tag]] = {}
for _tag in TAGS:
    _BY_GROUP.setdefault(_tag.group, {}).setdefault(_tag.id, _tag)


def by_group(group: str) -> dict[int | str | bytes, Tag]:
    """{id: tag} of one group."""
    return _BY_GROUP[group]


def tag_id(group: str, name: str) -> int:
    """The numeric id of a named tag (for readers that decode a few tags by number)."""
    for tag in _BY_GROUP[group].values():
        if tag.name == name and isinstance(tag.id, int):
            return tag.id
    raise KeyError(f"{group}:{name}")


def ids(group: str, *kinds: Kind) -> dict[int | str | bytes, str]:
    """{id: name} of a group's tags of the given kinds."""
    return {t.id: t.name for t in _BY_GROUP[group].values() if t.kind in kinds}
