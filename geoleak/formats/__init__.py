"""What the bytes of each media format mean, written once.

Both sides of geoleak stand on this package: `extract/` reads positions, times and
devices through it, and `remedy/` finds and blanks the same fields through it, so what
audit can read is exactly what scrub can remove.

- `sniff`: one format sniffer (first bytes, extension only to refine).
- container walkers: `jpeg` (marker segments), `chunks` (PNG and RIFF chunks), `gif`
  (GIF blocks and raw XMP), `tiff` (header, IFD entries, where each value lies, and the
  one IFD-to-IFD walk), `isobmff` (boxes, HEIF metadata items and the payloads both sides
  decode), `xmp` (the properties of a packet), `iptc` (IIM datasets and Photoshop image
  resources), `flir` (FFF records), `gpmf` (GoPro telemetry), `psd` (Photoshop's sections),
  `jumbf` (C2PA content credentials' boxes and the JSON they hold). They take any sliceable
  buffer (bytes, mmap, memoryview, or an `extract.source.Source`) and yield where each
  structure lies; they decode nothing the caller did not ask for. A reader takes a walk
  only as far as it needs (fewer IFDs, fewer XMP names, up to the first JPEG scan); a
  scrubber takes all of it.
- `iso6709`: the position strings of QuickTime and 3GPP files.
- `tags`: the tag table (id, name, group, kind), kept as data.

Walkers report a malformed structure by raising `FormatError`, or, when the caller passes
an `issues` list, by appending a sentence to it and stopping: a reader wants to go on with
what it has, a scrubber must not call a half-understood file clean.
"""
