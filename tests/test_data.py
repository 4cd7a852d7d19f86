"""Data loaders: IDX parsing, the default sources, and the errors users see."""

import gzip
import struct

import numpy as np
import pytest

from model.data.mnist import DataError, load_dataset, read_idx


def write_idx(path, array, gz=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


@pytest.fixture
def idx_dir(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("t10k", 5)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), gz=True)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n))
    return tmp_path


def test_idx_folder_gzipped_and_plain(idx_dir):
    train = load_dataset("mnist", "train", idx_dir)
    test = load_dataset("fashion", "test", idx_dir)
    assert train.images.shape == (12, 28, 28) and test.images.shape == (5, 28, 28)
    assert train.images.dtype.is_floating_point and 0 <= train.images.min() and train.images.max() <= 1
    assert train.flat().shape == (12, 784) and train.labels.max() < 10


def test_idx_values_round_trip(tmp_path):
    a = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    write_idx(tmp_path / "x", a)
    assert np.array_equal(read_idx(tmp_path / "x"), a)


def test_truncated_idx_is_reported(idx_dir):
    path = idx_dir / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(DataError, match="truncated"):
        load_dataset("mnist", "train", idx_dir)


def test_corrupt_gzip_is_reported(idx_dir):
    (idx_dir / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataError, match="cannot read IDX|not an IDX"):
        load_dataset("mnist", "train", idx_dir)


def test_bad_magic_is_reported(tmp_path):
    (tmp_path / "x").write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(DataError, match="not an IDX"):
        read_idx(tmp_path / "x")


def test_missing_folder_and_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", "train", tmp_path / "nowhere")
    with pytest.raises(DataError, match="no mnist train IDX files"):
        load_dataset("mnist", "train", tmp_path)


def test_unknown_names():
    with pytest.raises(DataError, match="unknown dataset"):
        load_dataset("cifar100")
    with pytest.raises(DataError, match="unknown split"):
        load_dataset("mnist", "validation")


def test_default_mnist_is_real_digits():
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    assert len(train) == 8000 and len(test) == 2000
    assert sorted(train.labels.unique().tolist()) == list(range(10))
    # real digits: mostly background, a stroke in the middle
    mean = train.images.mean(0)
    assert mean[14, 14] > 0.3 and mean[0, 0] == 0


def test_default_fashion():
    test = load_dataset("fashion", "test")
    assert len(test) == 10000 and test.images.shape[1:] == (28, 28)


def test_cli_reports_errors_without_traceback(tmp_path, capsys):
    from model.__main__ import main

    assert main(["data", "info", "--data-dir", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
