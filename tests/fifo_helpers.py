"""Run a geoleak command whose `-o` names a FIFO, and read what it wrote into the pipe."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from geoleak.cli import main


def written_into_a_pipe(fifo: Path, args: list[str]) -> bytes:
    """Make `fifo`, run `geoleak ARGS` (one of which is `-o fifo`) with the pipe open for
    reading (so the command's open for writing returns), and give back the bytes it wrote.
    The command must succeed and leave the pipe a pipe."""
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        written = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    return written
