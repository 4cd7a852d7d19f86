"""Training: learning happens, seeds reproduce, checkpoints round-trip and resume exactly,
bad checkpoints give clear errors, the CLI writes its outputs."""

import struct

import pytest
import torch

from model.__main__ import main
from model.common.errors import UserError
from model.gan import train as T
from model.gan.config import TrainConfig
from model.gan.nets import Generator

TINY = dict(hidden=(16, 16), d_hidden=(32,), batch=20, noise_dim=8)


pytestmark = pytest.mark.usefixtures("one_thread")  # small networks run fastest on one thread


def _write_idx(path, array, dtype_code=0x08):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, dtype_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.tobytes())


@pytest.fixture(scope="module")
def tiny_data_dir(tmp_path_factory):
    """60 synthetic 'digits' (a bar at one of three heights) as MNIST IDX files."""
    folder = tmp_path_factory.mktemp("idx")
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(60) % 3
    images = torch.zeros(60, 28, 28)
    for i, label in enumerate(labels):
        row = 6 + 8 * int(label)
        images[i, row : row + 3, 4:24] = 0.7 + 0.3 * torch.rand(3, 20, generator=g)
    _write_idx(folder / "train-images-idx3-ubyte", (images * 255).round().to(torch.uint8).numpy())
    _write_idx(folder / "train-labels-idx1-ubyte", labels.to(torch.uint8).numpy())
    return folder


def _config(data_dir, **changes):
    return TrainConfig(**{**TINY, "data_dir": str(data_dir), "updates": 6, **changes})


def _weights(path):
    payload = torch.load(path, weights_only=True)
    return {**payload["generator"], **{"D." + k: v for k, v in payload["discriminator"].items()}}


def test_training_lowers_discriminator_error(tiny_data_dir):
    from model.data.mnist import load_dataset

    cfg = _config(tiny_data_dir, updates=40, d_dropout=0.0)
    data = load_dataset("mnist", "train", tiny_data_dir).flat()
    state = T.init_state(cfg)
    probe_real, probe_u = data[:40], state.generator.sample_noise(40, torch.Generator().manual_seed(9))

    def d_error():
        with torch.no_grad():
            state.discriminator.eval()
            real, fake = state.discriminator(probe_real), state.discriminator(state.generator(probe_u))
            state.discriminator.train()
        return ((real <= 0).float().mean() + (fake > 0).float().mean()).item() / 2

    before = d_error()
    T.run_updates(state, data, progress=False)
    assert state.step == 40 and len(state.history["d_loss"]) == 40
    assert d_error() < before
    assert sum(state.history["d_loss"][-5:]) < sum(state.history["d_loss"][:5])


def test_same_seed_same_weights(tiny_data_dir, tmp_path):
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        T.train(_config(tiny_data_dir, seed=seed), tmp_path / name, evaluate=False, progress=False)
    a, b, c = (_weights(tmp_path / n / "checkpoint.pt") for n in "abc")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_resume_continues_exactly(tiny_data_dir, tmp_path):
    # 3 updates per epoch here: stopping at 4 leaves the run mid-epoch, the hard case for resuming
    T.train(_config(tiny_data_dir, updates=7), tmp_path / "straight", evaluate=False, progress=False)
    T.train(_config(tiny_data_dir, updates=4), tmp_path / "resumed", evaluate=False, progress=False)
    report = T.train(_config(tiny_data_dir, updates=7), tmp_path / "resumed", resume=True, evaluate=False, progress=False)
    assert report["updates"] == 7
    a, b = _weights(tmp_path / "straight" / "checkpoint.pt"), _weights(tmp_path / "resumed" / "checkpoint.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoint_round_trip_and_outputs(tiny_data_dir, tmp_path, png_title):
    T.train(_config(tiny_data_dir), tmp_path, evaluate=False, progress=False)
    for name in ("checkpoint.pt", "config.json", "samples_latest.png", "loss_curve.png", "metrics.json", "metrics.md"):
        assert (tmp_path / name).is_file(), name
    for name in ("samples_latest.png", "loss_curve.png"):  # which GAN: its sizes and dataset
        assert "GAN 8-16-16-784 on mnist" in png_title(tmp_path / name)
    payload = T.load_checkpoint(tmp_path)
    assert payload["config"] == _config(tiny_data_dir) and payload["step"] == 6
    gen = T.load_generator(tmp_path / "checkpoint.pt")
    assert isinstance(gen, Generator) and not gen.training
    u = torch.rand(5, 8)
    twin = Generator(8, (16, 16))
    twin.load_state_dict(payload["generator"])
    torch.testing.assert_close(gen(u), twin.eval()(u), rtol=0, atol=0)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04" + bytes(100)])
def test_corrupt_checkpoint_is_a_user_error(tmp_path, content):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(content)
    with pytest.raises(UserError, match="corrupt"):
        T.load_generator(path)


def test_truncated_checkpoint_is_a_user_error(tiny_data_dir, tmp_path):
    T.train(_config(tiny_data_dir), tmp_path, evaluate=False, progress=False)
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(UserError, match="corrupt"):
        T.load_checkpoint(path)


def test_wrong_shape_checkpoint_is_a_user_error(tiny_data_dir, tmp_path):
    T.train(_config(tiny_data_dir), tmp_path, evaluate=False, progress=False)
    path = tmp_path / "checkpoint.pt"
    payload = torch.load(path, weights_only=True)
    payload["config"]["hidden"] = [24, 16]  # the weights are 16-16
    torch.save(payload, path)
    with pytest.raises(UserError, match="do not fit"):
        T.load_generator(path)
    with pytest.raises(UserError, match="do not fit"):
        T.train(_config(tiny_data_dir, updates=8), tmp_path, resume=True, evaluate=False, progress=False)


def test_foreign_and_missing_checkpoints(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(UserError, match="not a spikegan"):
        T.load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(UserError, match="no checkpoint"):
        T.load_checkpoint(tmp_path / "missing.pt")


def test_cli_trains_and_guards_its_outputs(tiny_data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "--data-dir", str(tiny_data_dir), "--batch", "20", "--hidden", "16", "--seed", "3",
            "--lr-g", "3e-4", "--out", str(out), "--no-metrics"]
    assert main(base + ["--epochs", "2"]) == 0
    assert "6 updates" in capsys.readouterr().out  # 60 images / 20 = 3 updates per epoch
    cfg = T.load_checkpoint(out)["config"]
    assert cfg.hidden == (16, 16) and cfg.updates == 6 and cfg.seed == 3
    assert cfg.lr_g == 3e-4 and cfg.lr_d == TrainConfig().lr_d
    assert main(base + ["--updates", "9"]) == 2  # refuses to overwrite without --resume
    assert "--resume" in capsys.readouterr().err
    assert main(["train", "--out", str(out), "--resume", "--hidden", "32", "--no-metrics"]) == 2
    assert "--hidden" in capsys.readouterr().err
    assert main(["train", "--out", str(out), "--resume", "--updates", "9", "--no-metrics"]) == 0
    assert T.load_checkpoint(out)["step"] == 9
    (out / "checkpoint.pt").write_bytes(b"garbage")
    assert main(["train", "--out", str(out), "--resume", "--no-metrics"]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_training_into_a_log_shows_one_throttled_bar_over_all_updates(tiny_data_dir, monkeypatch):
    import io

    from model.data.mnist import load_dataset

    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    cfg = _config(tiny_data_dir, updates=40)
    data = load_dataset("mnist", "train", tiny_data_dir).flat()
    T.run_updates(T.init_state(cfg), data, progress=True)
    text = log.getvalue()
    assert text.count("/40") >= 1 and "40/40" in text  # one bar over every update, finished
    assert text.count("\r") + text.count("\n") <= 4  # not a redraw per update or per epoch
