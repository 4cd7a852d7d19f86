"""Shared fixtures."""

import fcntl
import os
import pickle
import struct

import numpy as np
import pytest

from model.common import threads


def pytest_configure(config):
    """Under pytest-xdist each worker runs torch (and the subprocesses it starts) on one thread: the workers
    already fill the cores, and more threads than cores make torch spin-wait many times slower."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)


def _write_cifar(folder, n=12, seed=0, learnable=False):
    """CIFAR-10 python batches of ``n`` images each in ``folder``: uniform noise, or (``learnable``)
    one fixed random template per class plus noise, so that a classifier can learn the labels."""
    rng = np.random.default_rng(seed)
    templates = np.random.default_rng(99).integers(0, 176, (10, 3072))
    folder.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, n)
        data = templates[labels] + rng.integers(0, 80, (n, 3072)) if learnable else rng.integers(0, 256, (n, 3072))
        (folder / name).write_bytes(pickle.dumps({b"data": data.astype(np.uint8), b"labels": list(labels)}))
    return folder


@pytest.fixture
def cifar_files():
    """``cifar_files(folder, n=12, seed=0, learnable=False)`` writes CIFAR-10 batches there."""
    return _write_cifar


def _write_mnist(folder, n=40, seed=0):
    """``n`` synthetic MNIST training digits in ``folder`` as IDX files: a bright bar at one of two heights."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    images = np.zeros((n, 28, 28))
    for i, label in enumerate(labels):
        images[i, 8 + 10 * label : 11 + 10 * label, 4:24] = 200 + 55 * rng.random((3, 20))
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)):
        header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
        (folder / name).write_bytes(header + array.astype(np.uint8).tobytes())
    return folder


@pytest.fixture(scope="session")
def mnist_files():
    """``mnist_files(folder, n=40, seed=0)`` writes synthetic MNIST training IDX files there."""
    return _write_mnist


@pytest.fixture(scope="session")
def shared(tmp_path_factory):
    """``shared(name, make)``: the folder ``name``, filled by ``make(folder)`` once for the whole run, whichever
    pytest-xdist worker asks first (the others wait on a file lock and reuse it): for fixtures that take long
    to make and that tests only read."""
    base = tmp_path_factory.getbasetemp()
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def get(name: str, make):
        folder = base / name
        with open(base / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / ".made").exists():
                folder.mkdir(exist_ok=True)
                make(folder)
                (folder / ".made").touch()
        return folder

    return get


@pytest.fixture
def one_thread():
    """Torch on one thread for the test (see `model.common.threads`); a test file asks for it with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    with threads.one_thread():
        yield


def _png_title(path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return image.text.get("Title", "")


@pytest.fixture
def png_title():
    """``png_title(path)``: the title a figure of the project stores in its PNG (`model.common.plots`)."""
    return _png_title
