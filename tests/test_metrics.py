"""Classifier FID, confident share and class entropy (model/metrics.py).

A tiny classifier (1,500 MNIST images, 2 epochs, ~1 s) trained into a temporary
cache stands in for the real one, so these tests never touch weights/.
"""

import json
import math
import re

import numpy as np
import pytest
import scipy.linalg
import torch

from model import metrics
from model.__main__ import main
from model.common.errors import UserError
from model.data.mnist import load_dataset
from model.metrics import ClassifierConfig, class_entropy, frechet_distance

TINY = ClassifierConfig(epochs=2, max_train=1500)


@pytest.fixture(scope="session")
def mnist_test():
    return load_dataset("mnist", "test").images


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("weights")
    metrics.get_classifier("mnist", cache_dir=cache, config=TINY)
    return cache


def _rng_feats(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d))


# ------------------------------------------------------------------ pure maths


def test_frechet_of_a_set_with_itself_is_zero():
    a = _rng_feats()
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)


def test_frechet_of_shifted_means_is_the_squared_shift():
    a = _rng_feats()
    shift = np.array([0.5, -1.0, 2.0, 0.0, 0.25, 3.0])
    assert frechet_distance(a, a + shift) == pytest.approx(float(shift @ shift), rel=1e-9)


def test_frechet_matches_scipy_sqrtm_reference():
    a, b = _rng_feats(seed=1), _rng_feats(seed=2) + 0.3
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    reference = float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1 + s2 - 2 * covmean))
    assert frechet_distance(a, b) == pytest.approx(reference, rel=1e-8)


def test_frechet_with_singular_covariances_stays_finite():
    a, b = _rng_feats(n=10, d=50, seed=3), _rng_feats(n=10, d=50, seed=4)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-7)
    assert 0.0 < frechet_distance(a, b) < np.inf


@pytest.mark.parametrize(
    "a, b",
    [(np.zeros((5, 3)), np.zeros((5, 4))), (np.zeros((1, 3)), np.zeros((5, 3))), (np.full((5, 3), np.nan), np.zeros((5, 3)))],
)
def test_frechet_rejects_bad_features(a, b):
    with pytest.raises(UserError):
        frechet_distance(a, b)


def test_class_entropy():
    assert class_entropy([7] * 10) == pytest.approx(math.log(10))
    assert class_entropy([0, 0, 30, 0, 0, 0, 0, 0, 0, 0]) == 0.0
    assert class_entropy([5, 5, 0, 0]) == pytest.approx(math.log(2))
    for bad in ([0] * 10, [-1, 2], []):
        with pytest.raises(UserError):
            class_entropy(bad)


# ------------------------------------------------------- metrics on real images


def test_real_test_set_scores_against_itself(tiny_cache, mnist_test):
    result = metrics.evaluate_images(mnist_test, "mnist", cache_dir=tiny_cache)
    assert set(result) == {"fid", "confident", "entropy", "class_histogram", "n"}
    assert result["fid"] == pytest.approx(0.0, abs=1e-6)
    assert result["n"] == len(mnist_test) == sum(result["class_histogram"])
    with torch.no_grad():
        probs = metrics.get_classifier("mnist", cache_dir=tiny_cache).net(mnist_test.unsqueeze(1)).softmax(1)
    assert result["confident"] == pytest.approx(float((probs.max(1).values >= 0.9).double().mean()), abs=1e-3)
    assert result["class_histogram"] == torch.bincount(probs.argmax(1), minlength=10).tolist()
    assert 2.0 < result["entropy"] <= math.log(10)


def test_fid_grows_with_noise(tiny_cache, mnist_test):
    gen = torch.Generator().manual_seed(0)
    noise = torch.randn(mnist_test.shape, generator=gen)
    fids = [
        metrics.evaluate_images((mnist_test + s * noise).clamp(0, 1).flatten(1), "mnist", cache_dir=tiny_cache)["fid"]
        for s in (0.0, 0.05, 0.1, 0.2, 0.4)
    ]
    assert all(lo < hi for lo, hi in zip(fids, fids[1:])), fids


def test_one_class_has_zero_entropy(tiny_cache, mnist_test):
    one = mnist_test[:1].repeat(50, 1, 1)
    result = metrics.evaluate_images(one, "mnist", cache_dir=tiny_cache)
    assert result["entropy"] == 0.0 and max(result["class_histogram"]) == 50


@pytest.mark.parametrize(
    "images, message",
    [
        (torch.rand(10, 100), "784"),
        (torch.rand(10, 28, 27), "784"),
        (torch.rand(1, 784), "at least 2"),
        (torch.rand(10, 784) * 2 - 1, "(x + 1) / 2"),
        (torch.rand(10, 784) * 3, "[0, 1]"),
        (torch.full((10, 784), float("nan")), "NaN"),
        (torch.zeros(10, 784, dtype=torch.uint8), "divide by 255"),
        ([[0.5] * 784] * 10, "tensor or numpy"),
    ],
)
def test_bad_images_raise_before_any_training(tmp_path, images, message):
    with pytest.raises(UserError, match=re.escape(message)):
        metrics.evaluate_images(images, "mnist", cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_numpy_and_flat_inputs_score_alike(tiny_cache, mnist_test):
    a = metrics.evaluate_images(mnist_test[:300], "mnist", cache_dir=tiny_cache)
    b = metrics.evaluate_images(mnist_test[:300].reshape(300, 784).numpy(), "mnist", cache_dir=tiny_cache)
    assert a == b


# ------------------------------------------------------------ training, cache


def test_training_is_deterministic_for_a_seed():
    cfg = ClassifierConfig(epochs=1, max_train=300)
    a = metrics.train_classifier("mnist", cfg, progress=False).net.state_dict()
    b = metrics.train_classifier("mnist", cfg, progress=False).net.state_dict()
    c = metrics.train_classifier("mnist", ClassifierConfig(epochs=1, max_train=300, seed=1), progress=False).net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_cache_round_trip(tiny_cache, mnist_test):
    pt, js = metrics.classifier_paths("mnist", tiny_cache)
    mtime = pt.stat().st_mtime_ns
    memo = metrics.get_classifier("mnist", cache_dir=tiny_cache)
    fresh = metrics.load_classifier("mnist", tiny_cache)
    assert pt.stat().st_mtime_ns == mtime and fresh is not memo
    assert fresh.config == TINY and fresh.info["test_accuracy"] == memo.accuracy > 0.8
    assert json.loads(js.read_text())["config"]["max_train"] == TINY.max_train
    x = mnist_test[:64].unsqueeze(1)
    assert torch.equal(metrics.embed(memo.net, x)[0], metrics.embed(fresh.net, x)[0])


def test_other_config_retrains(tmp_path):
    small = ClassifierConfig(epochs=1, max_train=200)
    first = metrics.get_classifier("mnist", cache_dir=tmp_path, config=small)
    assert metrics.get_classifier("mnist", cache_dir=tmp_path) is first
    other = metrics.get_classifier("mnist", cache_dir=tmp_path, config=ClassifierConfig(epochs=1, max_train=200, seed=5))
    assert metrics.load_classifier("mnist", tmp_path).config.seed == 5 and other is not first


@pytest.mark.parametrize("which", ["pt", "json"])
def test_corrupt_cache_is_a_clear_error(tmp_path, which):
    metrics.save_classifier(metrics.train_classifier("mnist", ClassifierConfig(epochs=1, max_train=100), progress=False), tmp_path)
    pt, js = metrics.classifier_paths("mnist", tmp_path)
    (pt if which == "pt" else js).write_bytes(b"not a classifier")
    metrics._MEMO.clear()
    with pytest.raises(UserError, match="Delete .*--retrain"):
        metrics.get_classifier("mnist", cache_dir=tmp_path)


def test_real_floor_is_cached_in_the_json(tiny_cache, monkeypatch):
    floor = metrics.real_floor("mnist", n=500, cache_dir=tiny_cache)
    assert floor["n"] == 500 and floor["fid"] > 0 and sum(floor["class_histogram"]) == 500
    _, js = metrics.classifier_paths("mnist", tiny_cache)
    assert floor in json.loads(js.read_text())["floors"].values()
    monkeypatch.setattr(metrics, "score", lambda *a, **k: pytest.fail("floor recomputed"))
    assert metrics.real_floor("mnist", n=500, cache_dir=tiny_cache) == floor
    with pytest.raises(UserError, match="real_floor n"):
        metrics.real_floor("mnist", n=10**6, cache_dir=tiny_cache)


# ----------------------------------------------------------------------- CLI


def test_cli_score_writes_json_markdown_and_figure(tiny_cache, mnist_test, tmp_path, capsys, png_title):
    images = tmp_path / "gen.npy"
    np.save(images, mnist_test[:200].numpy())
    out = tmp_path / "report" / "scores.json"
    png = tmp_path / "report" / "scores.png"
    argv = ["metrics", "score", "--images-file", str(images), "--json", str(out), "--figure", str(png), "--weights-dir", str(tiny_cache)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["n"] == 200 and report["real_floor"]["n"] == 200
    assert "| fid |" in out.with_suffix(".md").read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"200 images from {images} against real mnist" in png_title(png)
    assert "fid" in capsys.readouterr().out


def test_cli_bad_images_file_exits_2(tiny_cache, tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    torch.save(torch.rand(5, 10), bad)
    assert main(["metrics", "score", "--images-file", str(bad), "--weights-dir", str(tiny_cache)]) == 2
    assert "(N, 784)" in capsys.readouterr().err
    assert main(["metrics", "score", "--images-file", str(tmp_path / "missing.npy"), "--weights-dir", str(tiny_cache)]) == 2


def test_cli_classifier_prints_accuracy_and_floor(tiny_cache, capsys):
    assert main(["metrics", "classifier", "--dataset", "mnist", "--floor-n", "300", "--weights-dir", str(tiny_cache)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "real floor (300 train" in out


# ------------------------------------------------------------------ CIFAR-10


@pytest.fixture
def cifar(tmp_path, cifar_files):
    """A learnable CIFAR-10 made in the test and a classifier trained on it in a temporary cache."""
    data = cifar_files(tmp_path / "cifar", n=200, learnable=True)
    cache = tmp_path / "weights"
    clf = metrics.get_classifier("cifar10", data, cache, ClassifierConfig(epochs=3, batch_size=32))
    return data, cache, clf


def test_cifar10_classifier_learns_rgb_images_and_fid_ranks_them(cifar):
    data, cache, clf = cifar
    assert clf.net.conv1.in_channels == 3 and clf.accuracy > 0.9
    real = metrics.load_split("cifar10", "train", data).images[:400]
    assert real.shape == (400, 3, 32, 32)
    good = metrics.evaluate_images(real, "cifar10", data, cache)
    noise = metrics.evaluate_images(torch.rand(400, 3, 32, 32), "cifar10", data, cache)
    assert good["fid"] < noise["fid"] / 10 and good["entropy"] > 2.0
    assert metrics.evaluate_images(real.reshape(400, -1), "cifar10", data, cache) == good


def test_cifar10_scoring_refuses_grayscale_images(cifar):
    data, cache, _ = cifar
    with pytest.raises(UserError, match=re.escape("(N, 3, 32, 32)")):
        metrics.evaluate_images(torch.rand(10, 28, 28), "cifar10", data, cache)


def test_cli_scores_cifar10_images_with_a_figure(cifar, tmp_path, capsys):
    data, cache, _ = cifar
    images = tmp_path / "gen.pt"
    torch.save(metrics.load_split("cifar10", "test", data).images[:100], images)
    png = tmp_path / "scores.png"
    argv = ["metrics", "score", "--dataset", "cifar10", "--images-file", str(images), "--figure", str(png),
            "--data-dir", str(data), "--weights-dir", str(cache)]
    assert main(argv) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "fid" in capsys.readouterr().out


def test_cifar10_without_its_files_says_where_to_get_them(tmp_path):
    with pytest.raises(UserError, match="cifar-10-python.tar.gz"):
        metrics.get_classifier("cifar10", None, tmp_path)
