"""Writing files that other processes may read or write at the same time (parallel test workers, simulators,
caches): through a temporary file renamed into place, so that nobody sees half a file, and, for sources,
only when the text changed, so that simulators see unchanged files as unchanged. And folders a command
empties before each run: only those it made (`own_folder`)."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from model.common.errors import UserError


@contextmanager
def atomic_path(path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write in the block; it then replaces ``path`` in one rename.

    If the block fails, ``path`` is left as it was and the temporary file is removed.
    """
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path, text: str) -> Path:
    """Write ``text`` to ``path`` in one rename (see `atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def update_file(path, text: str) -> Path:
    """Write ``text`` (atomically) unless the file already holds it: its mtime stays, so simulators skip rebuilds."""
    path = Path(path)
    if not path.exists() or path.read_text() != text:
        write_atomic(path, text)
    return path


OWNER_FILE = ".made-by-spikegan"  # in a folder a command made, naming the command


def own_folder(path, command: str) -> Path:
    """``path`` emptied for a new run of ``command``: made, or emptied if ``command`` made it before; a
    folder holding anything else is left alone (a `UserError`), so that a mistyped ``--out`` loses nothing."""
    path = Path(path)
    owner = path / OWNER_FILE
    if path.is_dir() and any(path.iterdir()):
        if not owner.is_file() or owner.read_text().strip() != command:
            raise UserError(f"{path} holds files {command} did not make, and {command} empties its folder before "
                            "each run: give --out a new or empty folder (or remove that one yourself)")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    owner.write_text(command + "\n")
    return path
