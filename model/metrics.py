"""GAN quality metrics from a small classifier the project trains itself.

The Inception network behind the usual FID cannot be downloaded here, so a
LeNet-like classifier (conv-pool-conv-pool-fc 128-fc 10) is trained on the
dataset's train split (MNIST, Fashion-MNIST, or CIFAR-10 from the user's
python batches: 3 x 32 x 32 images, the same layers on three input planes) and cached as ``<weights>/classifier-<dataset>.pt`` with a
JSON beside it (test accuracy, training time, cached real-data floors). From it:

- ``fid``: the Frechet distance between Gaussian fits of the 128 penultimate
  features of the generated images and of the real test images ("classifier
  FID"; its scale is not comparable with Inception FID);
- ``confident``: the share of generated images whose top softmax is >= 0.9;
- ``entropy``: the entropy (nats) of the predicted-class histogram, ln 10 = 2.303
  when every class is generated equally often (mode coverage);
- ``real_floor``: the same numbers for real train images, the floor to report
  beside the GAN's.

The weights folder is ``SPIKEGAN_WEIGHTS`` if set, else ``weights/`` in the
repository; every function also takes ``cache_dir``. Training and inference run
on one CPU thread: deterministic for a seed, and not slowed down many times when
other processes share the cores.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from model.common.errors import UserError
from model.common.files import atomic_path
from model.common.jsonio import write_json, write_json_and_markdown
from model.common.npy import read_npy
from model.common.plots import pyplot, save_figure, wrap
from model.common.threads import one_thread
from model.data.cifar import load_cifar10
from model.data.mnist import DATASETS, ImageSet, load_dataset

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIDENT = 0.9  # top softmax at or above this counts as 'confident'
N_CLASSES = 10
CACHE_FORMAT = 1
RANGE_TOLERANCE = 1e-4  # pixels this far outside [0, 1] are clamped; further is an error
SHAPES = {"mnist": (1, 28, 28), "fashion": (1, 28, 28), "cifar10": (3, 32, 32)}  # (C, H, W) of a dataset's images
DATASETS = tuple(SHAPES)


@dataclass(frozen=True)
class ClassifierConfig:
    """How the metric classifier is built and trained."""

    epochs: int = 8
    batch_size: int = 64
    lr: float = 3e-3  # peak of a one-cycle schedule (Adam)
    max_train: int | None = None  # train on a seeded subset of this many images (None: all)
    features: int = 128  # width of the penultimate layer the FID is computed on
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.features < 2 or not self.lr > 0:
            raise UserError(f"invalid classifier config {self}: epochs, batch_size >= 1, features >= 2, lr > 0")
        if self.max_train is not None and self.max_train < N_CLASSES:
            raise UserError(f"max_train must be >= {N_CLASSES} or None, not {self.max_train}")


# Fashion has 60,000 train images: fewer, larger batches keep it near 80 s on one core.
DEFAULT_CONFIGS = {
    "mnist": ClassifierConfig(),
    "fashion": ClassifierConfig(epochs=4, batch_size=128),
    "cifar10": ClassifierConfig(epochs=8, batch_size=128),
}


class LeNet(nn.Module):
    """conv5(8)-pool-conv5(16)-pool-fc(features)-fc(10) on ``(C, H, W)`` images in [0, 1]."""

    def __init__(self, features: int = 128, shape: tuple[int, int, int] = SHAPES["mnist"]):
        super().__init__()
        channels, side, _ = shape
        pooled = (side // 2 - 4) // 2  # after conv1 (same size), pool, conv2 (valid), pool
        self.conv1 = nn.Conv2d(channels, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5)
        self.fc1 = nn.Linear(16 * pooled * pooled, features)
        self.fc2 = nn.Linear(features, N_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate (post-ReLU) features ``(N, features)`` of images ``(N, C, H, W)``."""
        x = F.max_pool2d(F.relu(self.conv1(x - 0.5)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.features(x))


@dataclass
class Classifier:
    """A trained metric classifier and the facts about it kept in its JSON."""

    dataset: str
    net: LeNet
    config: ClassifierConfig
    info: dict = field(default_factory=dict)
    test_stats: dict = field(default_factory=dict, repr=False)  # test source -> Gaussian fit of its features

    @property
    def accuracy(self) -> float:
        return self.info["test_accuracy"]


# ----------------------------------------------------------------- pure maths


def gaussian_fit(feats) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of feature rows, in float64."""
    a = _as_features(feats, "features")
    return a.mean(axis=0), np.atleast_2d(np.cov(a, rowvar=False))


def frechet_from_stats(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) for two Gaussians.

    tr((S1 S2)^(1/2)) is computed as the sum of the square roots of the
    eigenvalues of the symmetric PSD matrix S1^(1/2) S2 S1^(1/2), which has the
    same spectrum. Unlike ``scipy.linalg.sqrtm(S1 @ S2)`` this never yields
    imaginary parts; eigenvalues that rounding makes slightly negative are
    clipped to 0, and so is the result.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != mu1.shape * 2:
        raise UserError(f"Gaussian statistics do not match: means {mu1.shape}/{mu2.shape}, covariances {s1.shape}/{s2.shape}")
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    root1 = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    m = root1 @ s2 @ root1
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0.0, None)).sum()
    diff = mu1 - mu2
    return max(0.0, float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean))


def frechet_distance(feats_a, feats_b) -> float:
    """Frechet distance between Gaussian fits of two sets of feature rows ``(N, D)``."""
    a, b = _as_features(feats_a, "feats_a"), _as_features(feats_b, "feats_b")
    if a.shape[1] != b.shape[1]:
        raise UserError(f"feature sets differ in width: {a.shape[1]} vs {b.shape[1]}")
    return frechet_from_stats(*gaussian_fit(a), *gaussian_fit(b))


def class_entropy(histogram) -> float:
    """Entropy (nats) of a class histogram (counts or shares); ln K when uniform over K classes."""
    h = np.asarray(histogram, dtype=np.float64)
    if h.ndim != 1 or h.size == 0 or (h < 0).any() or h.sum() <= 0:
        raise UserError(f"a class histogram needs non-negative counts with a positive sum, got {h.tolist()}")
    p = h[h > 0] / h.sum()
    return float(-(p * np.log(p)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def _as_features(feats, name: str) -> np.ndarray:
    a = feats.detach().cpu().numpy() if isinstance(feats, torch.Tensor) else np.asarray(feats)
    a = a.astype(np.float64)
    if a.ndim != 2 or a.shape[0] < 2:
        raise UserError(f"{name} must be (N, D) with N >= 2 rows, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise UserError(f"{name} holds NaN or infinite values")
    return a


# ------------------------------------------------------------------ the images


def validate_images(images, shape: tuple[int, int, int] = SHAPES["mnist"]) -> torch.Tensor:
    """Check images of floats in [0, 1] shaped ``(N, C*H*W)``, ``(N, H, W)`` (one plane) or
    ``(N, C, H, W)`` for ``shape`` = ``(C, H, W)``; return them as float32 ``(N, C, H, W)``."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, torch.Tensor):
        raise UserError(f"images must be a torch tensor or numpy array, not {type(images).__name__}")
    if not images.dtype.is_floating_point:
        hint = " (uint8 pixels: divide by 255)" if images.dtype == torch.uint8 else ""
        raise UserError(f"images must be floats in [0, 1], got dtype {images.dtype}{hint}")
    accepted = [(math.prod(shape),), tuple(shape)] + ([tuple(shape[1:])] if shape[0] == 1 else [])
    if tuple(images.shape[1:]) not in accepted:
        names = ", ".join("(N, " + ", ".join(map(str, a)) + ")" for a in accepted)
        raise UserError(f"images must be {names}, got {tuple(images.shape)}")
    if images.shape[0] < 2:
        raise UserError(f"need at least 2 images to fit a Gaussian, got {images.shape[0]}")
    x = images.detach().to("cpu", torch.float32).reshape(-1, *shape)
    if not torch.isfinite(x).all():
        raise UserError("images hold NaN or infinite values")
    lo, hi = float(x.min()), float(x.max())
    if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        hint = " (tanh outputs in [-1, 1]: pass (x + 1) / 2)" if lo >= -1 - RANGE_TOLERANCE and lo < 0 else ""
        raise UserError(f"images must lie in [0, 1], got values in [{lo:.4g}, {hi:.4g}]{hint}")
    return x.clamp(0.0, 1.0)


@torch.no_grad()
def embed(net: LeNet, images: torch.Tensor, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Penultimate features ``(N, F)`` and softmax probabilities ``(N, 10)`` of validated images."""
    was_training = net.training
    net.eval()
    feats, probs = [], []
    with one_thread():
        for i in range(0, len(images), batch):
            f = net.features(images[i : i + batch])
            feats.append(f)
            probs.append(F.softmax(net.fc2(f), dim=1))
    net.train(was_training)
    return torch.cat(feats), torch.cat(probs)


# ---------------------------------------------------------- training and cache


def weights_dir(cache_dir: str | Path | None = None) -> Path:
    """Where classifiers are cached: ``cache_dir``, else ``SPIKEGAN_WEIGHTS``, else ``weights/``."""
    return Path(cache_dir or os.environ.get("SPIKEGAN_WEIGHTS") or REPO_ROOT / "weights")


def classifier_paths(dataset: str, cache_dir: str | Path | None = None) -> tuple[Path, Path]:
    """The ``.pt`` (weights) and ``.json`` (accuracy, floors) files of ``dataset``'s classifier."""
    base = weights_dir(cache_dir) / f"classifier-{_dataset_name(dataset)}"
    return base.with_suffix(".pt"), base.with_suffix(".json")


def _dataset_name(dataset: str) -> str:
    name = {"fashion-mnist": "fashion", "fashion_mnist": "fashion", "fmnist": "fashion"}.get(dataset, dataset)
    if name not in DATASETS:
        raise UserError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    return name


def load_split(dataset: str, split: str, data_dir=None) -> ImageSet:
    """``dataset``'s ``split`` with images ``(N, C, H, W)`` (CIFAR-10 needs ``data_dir``)."""
    dataset = _dataset_name(dataset)
    if dataset == "cifar10":
        return load_cifar10(split, data_dir)
    s = load_dataset(dataset, split, data_dir)
    return ImageSet(s.images.unsqueeze(1), s.labels, s.source)


def train_classifier(
    dataset: str, config: ClassifierConfig | None = None, data_dir=None, progress: bool = True
) -> Classifier:
    """Train a fresh classifier on ``dataset``'s train split and measure it on the test split."""
    from model.common.progress import progress_bar

    dataset = _dataset_name(dataset)
    config = config or DEFAULT_CONFIGS[dataset]
    train, test = load_split(dataset, "train", data_dir), load_split(dataset, "test", data_dir)
    x, y = train.images, train.labels
    gen = torch.Generator().manual_seed(config.seed)
    if config.max_train is not None and config.max_train < len(y):
        keep = torch.randperm(len(y), generator=gen)[: config.max_train]
        x, y = x[keep], y[keep]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net = LeNet(config.features, SHAPES[dataset])
    steps_per_epoch = -(-len(y) // config.batch_size)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=config.epochs * steps_per_epoch)
    started = time.perf_counter()
    net.train()
    bar = progress_bar(total=config.epochs * steps_per_epoch, desc=f"classifier {dataset}", unit="batch", disable=not progress, leave=False)
    with one_thread(), bar:
        for _ in range(config.epochs):
            order = torch.randperm(len(y), generator=gen)
            for i in range(0, len(y), config.batch_size):
                idx = order[i : i + config.batch_size]
                loss = F.cross_entropy(net(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                bar.update()
                bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    seconds = time.perf_counter() - started
    _, probs = embed(net, test.images)
    accuracy = float((probs.argmax(1) == test.labels).double().mean())
    info = {
        "dataset": dataset,
        "test_accuracy": round(accuracy, 6),
        "train_seconds": round(seconds, 1),
        "train_images": len(y),
        "test_images": len(test),
        "train_source": train.source,
        "test_source": test.source,
        "config": asdict(config),
        "torch": torch.__version__,
        "floors": {},
    }
    return Classifier(dataset, net, config, info)


def save_classifier(clf: Classifier, cache_dir=None) -> tuple[Path, Path]:
    """Write the classifier's ``.pt`` and ``.json`` atomically (other processes may be reading)."""
    pt, js = classifier_paths(clf.dataset, cache_dir)
    pt.parent.mkdir(parents=True, exist_ok=True)
    blob = {"format": CACHE_FORMAT, "dataset": clf.dataset, "config": asdict(clf.config), "state_dict": clf.net.state_dict()}
    with atomic_path(pt) as tmp:
        torch.save(blob, tmp)
    write_json(js, clf.info, indent=2)
    _MEMO.pop(pt, None)
    return pt, js


def load_classifier(dataset: str, cache_dir=None) -> Classifier:
    """Load a cached classifier; a missing, corrupt or foreign file is a :class:`UserError`."""
    dataset = _dataset_name(dataset)
    pt, js = classifier_paths(dataset, cache_dir)
    fix = f"Delete {pt} and {js} (or run 'python -m model metrics classifier --dataset {dataset} --retrain') to retrain it."
    if not pt.is_file() or not js.is_file():
        raise UserError(f"no cached {dataset} classifier ({pt}, {js}). Run 'python -m model metrics classifier --dataset {dataset}'.")
    try:
        blob = torch.load(pt, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("format") != CACHE_FORMAT or blob.get("dataset") != dataset:
            raise ValueError("not a spikegan metric classifier of this dataset and format")
        config = ClassifierConfig(**blob["config"])
        net = LeNet(config.features, SHAPES[dataset])
        net.load_state_dict(blob["state_dict"])
    except Exception as e:  # truncated file, foreign pickle, wrong keys or shapes
        raise UserError(f"cached classifier {pt} is unreadable or corrupt ({str(e)[:200]}). {fix}") from e
    try:
        info = json.loads(js.read_text())
        if not isinstance(info, dict) or "test_accuracy" not in info or not isinstance(info.get("floors"), dict):
            raise ValueError("missing test_accuracy or floors")
    except (OSError, ValueError) as e:
        raise UserError(f"classifier info {js} is unreadable or corrupt ({e}). {fix}") from e
    net.eval()
    return Classifier(dataset, net, config, info)


_MEMO: dict[Path, tuple[int, Classifier]] = {}  # .pt path -> (mtime_ns, loaded classifier)


def get_classifier(
    dataset: str = "mnist", data_dir=None, cache_dir=None, config: ClassifierConfig | None = None, retrain: bool = False
) -> Classifier:
    """Load the cached classifier, or train and cache one.

    ``config=None`` accepts whatever is cached (training with the dataset's
    default if nothing is); an explicit ``config`` that differs from the cached
    one retrains, as does ``retrain=True``.
    """
    dataset = _dataset_name(dataset)
    pt, _ = classifier_paths(dataset, cache_dir)
    if not retrain and pt.is_file():
        mtime = pt.stat().st_mtime_ns
        memo = _MEMO.get(pt)
        clf = memo[1] if memo and memo[0] == mtime else load_classifier(dataset, cache_dir)
        _MEMO[pt] = (mtime, clf)
        if config is None or config == clf.config:
            return clf
        print(f"[metrics] cached {dataset} classifier was trained with {clf.config}; retraining with {config}", file=sys.stderr)
    clf = train_classifier(dataset, config, data_dir)
    save_classifier(clf, cache_dir)
    _MEMO[pt] = (pt.stat().st_mtime_ns, clf)
    return clf


def _test_stats(clf: Classifier, data_dir) -> tuple[np.ndarray, np.ndarray, str]:
    """Gaussian fit of the real test images' features (memoised on the classifier per source)."""
    test = load_split(clf.dataset, "test", data_dir)
    if test.source not in clf.test_stats:
        feats, _ = embed(clf.net, test.images)
        clf.test_stats[test.source] = gaussian_fit(feats)
    return (*clf.test_stats[test.source], test.source)


# ------------------------------------------------------------------- metrics


def score(clf: Classifier, images, data_dir=None) -> dict:
    """Classifier FID against the real test split, confident share, class entropy, histogram, n."""
    x = validate_images(images, SHAPES[clf.dataset])
    feats, probs = embed(clf.net, x)
    mu, sigma, _ = _test_stats(clf, data_dir)
    hist = torch.bincount(probs.argmax(1), minlength=N_CLASSES)
    return {
        "fid": frechet_from_stats(*gaussian_fit(feats), mu, sigma),
        "confident": float((probs.max(1).values >= CONFIDENT).double().mean()),
        "entropy": class_entropy(hist.numpy()),
        "class_histogram": hist.tolist(),
        "n": len(x),
    }


def evaluate_images(images, dataset: str = "mnist", data_dir=None, cache_dir=None) -> dict:
    """Score generated images in [0, 1] (shapes as :func:`validate_images`) against ``dataset``.

    Returns ``{'fid', 'confident', 'entropy', 'class_histogram', 'n'}``. FID
    shrinks with N (finite-sample bias): compare with a :func:`real_floor` of
    the same ``n``.
    """
    x = validate_images(images, SHAPES[_dataset_name(dataset)])  # fail on bad input before any training
    return score(get_classifier(dataset, data_dir, cache_dir), x, data_dir)


def real_floor(dataset: str = "mnist", data_dir=None, n: int | None = None, cache_dir=None) -> dict:
    """:func:`evaluate_images` of ``n`` real train images (seeded subset; None: all).

    The FID a perfect generator would get with that many images. Cached in the
    classifier's JSON per ``n`` and test source.
    """
    clf = get_classifier(dataset, data_dir, cache_dir)
    train = load_split(clf.dataset, "train", data_dir)
    n = len(train) if n is None else int(n)
    if not 2 <= n <= len(train):
        raise UserError(f"real_floor n must be in [2, {len(train)}] (the {clf.dataset} train split), not {n}")
    _, _, test_source = _test_stats(clf, data_dir)
    key = f"n={n} train={train.source} test={test_source}"
    if key not in clf.info["floors"]:
        keep = torch.randperm(len(train), generator=torch.Generator().manual_seed(clf.config.seed + 1))[:n]
        clf.info["floors"][key] = score(clf, train.images[keep], data_dir)
        _, js = classifier_paths(clf.dataset, cache_dir)
        write_json(js, clf.info, indent=2)
    return dict(clf.info["floors"][key])


# ------------------------------------------------------------------------ CLI


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    common = dict(
        data_dir=dict(default=None, help="folder with IDX files or CIFAR-10 batches (default: DATA_DIR, else the standard sources)"),
        weights_dir=dict(default=None, help="classifier cache folder (default: SPIKEGAN_WEIGHTS, else weights/)"),
    )
    fmt = dict(formatter_class=parser.formatter_class)
    c = sub.add_parser("classifier", **fmt, help="train (or load) the metric classifier; print its accuracy and the real-data floor")
    c.add_argument("--dataset", choices=DATASETS + ("all",), default="mnist",
                   help=f"dataset of the classifier ('all': {', '.join(DATASETS)}, the ones on this machine)")
    c.add_argument("--retrain", action="store_true", help="train again even if a cached classifier exists")
    c.add_argument("--floor-n", type=int, default=None, help="real train images for the floor (default: all)")
    s = sub.add_parser("score", **fmt, help="score generated images (.pt tensor or .npy array, (N, 784), (N, 28, 28), "
                                            "or (N, 3, 32, 32) for CIFAR-10, in [0, 1])")
    s.add_argument("--dataset", choices=DATASETS, default="mnist", help="dataset the images imitate")
    s.add_argument("--images-file", required=True, help="a .pt file holding a tensor (or a dict with 'images'), or a .npy file")
    s.add_argument("--json", default=None, help="also write the scores here as JSON, with a Markdown twin .md (default: none)")
    s.add_argument("--figure", default=None, help="also write a PNG: the first 100 images and the class histogram "
                   "(default: none)")
    for p in (c, s):
        for name, kw in common.items():
            p.add_argument("--" + name.replace("_", "-"), **kw)


def load_images_file(path: str | Path) -> torch.Tensor:
    """Read images from a ``.pt`` (tensor, or dict with 'images') or ``.npy`` file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"images file {path} does not exist")
    if path.suffix == ".npy":
        data = torch.from_numpy(read_npy(path))
    elif path.suffix == ".pt":
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # torch's words are about its own API, not the file
            raise UserError(f"{path} is not a tensor file torch.save wrote (torch cannot read it safely); "
                            "save the images with torch.save(images, path)") from None
        if isinstance(data, dict):
            data = data.get("images")
    else:
        raise UserError(f"images file {path} must end in .pt or .npy")
    if not isinstance(data, torch.Tensor):
        raise UserError(f"{path} must hold a tensor (or a dict with an 'images' tensor), not {type(data).__name__}")
    return data


def _markdown(dataset: str, result: dict, floor: dict, clf: Classifier) -> str:
    lines = [
        f"# Classifier metrics on {dataset}",
        "",
        f"Metric classifier: test accuracy {clf.accuracy:.2%}; real floor from {floor['n']} real train images.",
        "",
        "| metric | generated | real floor |",
        "|---|---|---|",
    ]
    for key in ("fid", "confident", "entropy", "n"):
        lines.append(f"| {key} | {result[key]:.4g} | {floor[key]:.4g} |")
    lines += ["", f"Predicted-class histogram: {result['class_histogram']} (entropy ln 10 = {math.log(10):.3f} is uniform)."]
    return "\n".join(lines) + "\n"


def _figure(images: torch.Tensor, result: dict, floor: dict, path: str | Path, title: str) -> Path:
    plt = pyplot()
    x = images[:100].permute(0, 2, 3, 1).numpy()  # (N, H, W, C)
    side, cell, cols = x.shape[1], x.shape[1] + 2, 10
    rows = -(-len(x) // cols)
    grid = np.full((rows * cell, cols * cell, x.shape[3]), 0.5)
    for i, img in enumerate(x):
        r, c = divmod(i, cols)
        grid[r * cell + 1 : r * cell + 1 + side, c * cell + 1 : c * cell + 1 + side] = img
    fig, (ax_img, ax_hist) = plt.subplots(1, 2, figsize=(11, 5), gridspec_kw={"width_ratios": [1, 1]})
    ax_img.imshow(grid[..., 0] if grid.shape[2] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    ax_img.set_axis_off()
    ax_img.set_title(f"first {len(x)} of {result['n']} images")
    share = np.asarray(result["class_histogram"]) / result["n"]
    real = np.asarray(floor["class_histogram"]) / floor["n"]
    pos = np.arange(N_CLASSES)
    ax_hist.bar(pos - 0.2, share, 0.4, label="generated")
    ax_hist.bar(pos + 0.2, real, 0.4, label="real (floor set)")
    ax_hist.set(xticks=pos, xlabel="predicted class", ylabel="share of images",
                title=f"FID {result['fid']:.3g} (floor {floor['fid']:.3g}), confident {result['confident']:.1%}, "
                      f"entropy {result['entropy']:.3f}")
    ax_hist.title.set_fontsize(9)
    ax_hist.legend()
    fig.suptitle(wrap(title, 110), fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, path, dpi=100)


def run(args) -> int:
    if args.action == "classifier":
        for dataset in DATASETS if args.dataset == "all" else (args.dataset,):
            clf = get_classifier(dataset, args.data_dir, args.weights_dir, retrain=args.retrain)
            floor = real_floor(dataset, args.data_dir, args.floor_n, args.weights_dir)
            pt, js = classifier_paths(dataset, args.weights_dir)
            print(
                f"[metrics] {dataset}: test accuracy {clf.accuracy:.2%} on {clf.info['test_images']} images, "
                f"trained on {clf.info['train_images']} images in {clf.info['train_seconds']} s -> {pt}"
            )
            print(
                f"[metrics] {dataset} real floor ({floor['n']} train vs {clf.info['test_images']} test images): "
                f"fid {floor['fid']:.4g}, confident {floor['confident']:.4f}, entropy {floor['entropy']:.4f}  ({js})"
            )
        return 0
    images = validate_images(load_images_file(args.images_file), SHAPES[args.dataset])
    clf = get_classifier(args.dataset, args.data_dir, args.weights_dir)
    result = score(clf, images, args.data_dir)
    n_train = len(load_split(clf.dataset, "train", args.data_dir))
    floor = real_floor(args.dataset, args.data_dir, min(result["n"], n_train), args.weights_dir)
    print(
        f"[metrics] {args.images_file}: n {result['n']}, fid {result['fid']:.4g} (real floor {floor['fid']:.4g} at n {floor['n']}), "
        f"confident {result['confident']:.4f}, entropy {result['entropy']:.4f} (max {math.log(10):.4f}), "
        f"classes {result['class_histogram']}"
    )
    if args.json:
        out = Path(args.json)
        report = {"dataset": args.dataset, "images": str(args.images_file), "classifier_accuracy": clf.accuracy, **result, "real_floor": floor}
        text = _markdown(args.dataset, result, floor, clf)
        write_json_and_markdown(out, report, text, out.with_suffix(".md"), indent=2)
        print(f"[metrics] wrote {out} and {out.with_suffix('.md')}")
    if args.figure:
        title = (f"Classifier scores of {result['n']} images from {args.images_file} against real {args.dataset}: "
                 "a sample and the predicted classes")
        print(f"[metrics] wrote {_figure(images, result, floor, args.figure, title)}")
    return 0
