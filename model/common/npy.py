"""Reading a ``.npy`` file a user gives: a numeric array, or a message that says what the file is instead."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.common.errors import UserError

MAGIC = b"\x93NUMPY"  # how every file numpy.save writes begins


def read_npy(path) -> np.ndarray:
    """The array in ``path`` (never unpickled: a pickle can run code); a `UserError` for anything else."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no .npy file at {path}")
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise UserError(f"{path} is not a .npy array (it lacks numpy's header); write one with numpy.save(path, array)")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError:
        raise UserError(f"{path} holds Python objects, not numbers; save a numeric array with "
                        "numpy.save(path, array.astype(numpy.float32))") from None
    except OSError as e:
        raise UserError(f"{path} is a damaged .npy file ({e}); write it again with numpy.save") from None
