"""CIFAR-10 from the standard python-pickle batches (``cifar-10-python.tar.gz`` unpacked).

The folder the user names (``--data-dir``) holds ``data_batch_1`` .. ``data_batch_5`` and
``test_batch``, itself or in its ``cifar-10-batches-py`` sub-folder. Each batch is a pickled
dict with ``b'data'`` (uint8 ``(N, 3072)``, the red, green and blue planes of a 32 x 32 image)
and ``b'labels'``. Only those plain types are unpickled: a file that asks for anything else
is refused, not run.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import torch

from model.data.mnist import DataError, ImageSet

SIDE = 32
FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
SUBDIRS = ("", "cifar-10-batches-py")
_ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"),
            *((f"numpy{core}.multiarray", name) for core in (".core", "._core") for name in ("_reconstruct", "scalar"))}


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays, nothing that runs code."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, 3, 32, 32)`` uint8 and labels ``(N,)`` of one batch file."""
    try:
        batch = _PlainUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise DataError(f"{path} is not a CIFAR-10 python batch ({type(e).__name__}: {e}); "
                        "unpack cifar-10-python.tar.gz again") from e
    if data.ndim != 2 or data.shape[1] != 3 * SIDE * SIDE or len(labels) != len(data):
        raise DataError(f"{path}: data {data.shape} and labels {labels.shape} are not N x 3072 and N; "
                        "unpack cifar-10-python.tar.gz again")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{path}: labels outside 0..9; unpack cifar-10-python.tar.gz again")
    return data.reshape(-1, 3, SIDE, SIDE), labels


def load_cifar10(split: str = "train", data_dir: str | Path | None = None) -> ImageSet:
    """CIFAR-10's ``split`` as images ``(N, 3, 32, 32)`` in [0, 1]."""
    if split not in FILES:
        raise DataError(f"unknown split {split!r}; choose 'train' or 'test'.")
    if not data_dir:
        raise DataError("CIFAR-10 is not on this machine: download cifar-10-python.tar.gz "
                        "(https://www.cs.toronto.edu/~kriz/cifar.html), unpack it and pass --data-dir <folder>.")
    root = Path(data_dir)
    for sub in SUBDIRS:
        folder = root / sub
        paths = [folder / name for name in FILES[split]]
        if all(p.is_file() for p in paths):
            parts = [read_batch(p) for p in paths]
            images = np.concatenate([x for x, _ in parts])
            return ImageSet(torch.from_numpy(images.astype(np.float32) / 255.0),
                            torch.from_numpy(np.concatenate([y for _, y in parts])), f"CIFAR-10 batches in {folder}")
    looked = ", ".join(str(root / s) for s in SUBDIRS)
    raise DataError(f"no CIFAR-10 {split} batches ({', '.join(FILES[split])}) in {looked}: "
                    "unpack cifar-10-python.tar.gz there.")
