"""Training loops (per image, as the paper does, and per class) and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from model.memristor.data import decode
from model.memristor.gan import FALSE, TRUE, SpikingGan


@dataclass
class History:
    """Per-iteration record of one training run."""

    match: list[float] = field(default_factory=list)  # stage-2 fake vs its target, pixel fraction
    d_real_ok: list[bool] = field(default_factory=list)  # D: 'true' fired more on the real image
    d_fake_ok: list[bool] = field(default_factory=list)  # D: 'false' fired more on the fake image
    d_real: list[tuple[int, int]] = field(default_factory=list)  # (true, false) spike counts
    d_fake: list[tuple[int, int]] = field(default_factory=list)
    fake_spikes: list[int] = field(default_factory=list)  # G spikes in stage 2

    def first_reaching(self, level: float) -> int | None:
        """First iteration whose fake image matched its target in ``>= level`` of pixels."""
        hits = np.flatnonzero(np.asarray(self.match) >= level)
        return int(hits[0]) if hits.size else None

    def d_accuracy(self, last: int = 50) -> float:
        """D accuracy over the last ``last`` iterations (real and fake judgements)."""
        ok = np.asarray(self.d_real_ok[-last:] + self.d_fake_ok[-last:], dtype=float)
        return float(ok.mean()) if ok.size else float("nan")


def train(model: SpikingGan, targets: np.ndarray, iterations: int, bar: tqdm | None = None) -> History:
    """Train on flat binary ``targets`` ``(n, pixels)``; iteration ``k`` uses target
    ``k mod n`` (one target: per-image training; a class's images: per-class)."""
    hist = History()
    for k in range(iterations):
        target = targets[k % len(targets)]
        rec = model.step(target)
        hist.match.append(float((decode(rec.fake_counts, model.p.enc) == target).mean()))
        real_ok, fake_ok = rec.d_correct
        hist.d_real_ok.append(real_ok)
        hist.d_fake_ok.append(fake_ok)
        hist.d_real.append((int(rec.d_real[TRUE]), int(rec.d_real[FALSE])))
        hist.d_fake.append((int(rec.d_fake[TRUE]), int(rec.d_fake[FALSE])))
        hist.fake_spikes.append(int(rec.fake_counts.sum()))
        if bar is not None:
            bar.update(1)
    return hist


@dataclass(frozen=True)
class Evaluation:
    """Generated images from fresh noise against the target(s)."""

    counts: np.ndarray  # (samples, pixels) spike counts
    images: np.ndarray  # (samples, pixels) decoded
    match: np.ndarray  # (samples,) pixel agreement with the reference image

    @property
    def mean(self) -> float:
        return float(self.match.mean())


def evaluate(model: SpikingGan, reference: np.ndarray, samples: int) -> Evaluation:
    """Decode ``samples`` generated images and compare each with ``reference``."""
    counts = model.sample(samples)
    images = decode(counts, model.p.enc)
    return Evaluation(counts, images, (images == reference[None, :]).mean(axis=1))


def majority(images: np.ndarray) -> np.ndarray:
    """Pixel-wise majority of binary images ``(n, pixels)`` (ties: on)."""
    return images.mean(axis=0) >= 0.5
