"""The TTFS classifier of Spiking-GAN Sec. 3.1 (784-400-10 on MNIST), trained with either target.

The class is the output neuron that fires first; the decision is taken at that step, and
the spikes counted are those the whole network (inputs included) issued up to it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from model.common.progress import progress_bar
from model.ttfs.backprop import NORMS, backward
from model.ttfs.coding import encode_images
from model.ttfs.losses import TARGETS, targets, temporal_loss
from model.ttfs.neuron import IfParams, forward


@dataclass(frozen=True)
class ClassifierConfig:
    """S4NN's settings (T = 256, theta = 100, U[0, 5] / U[0, 48] initial weights, lr 0.2 per
    sample, L2 1e-6) with a batch whose gradients are summed; after each epoch a hidden
    neuron that fired for fewer than ``dead_share`` of the samples gets fresh initial weights.

    ``validation`` training images (a seeded draw) are held out and scored every
    ``check_every`` updates and at the end; the weights of the best score are kept (S4NN's
    code keeps its best epoch, by test accuracy; a held-out split leaves the test set
    unseen). Training can collapse late: the hidden layer's weights shrink until few of its
    neurons fire. ``validation=0`` keeps the last weights."""

    sizes: tuple[int, ...] = (784, 400, 10)
    target: str = "aggressive"
    norm: str = "l2"
    timesteps: int = 256
    theta: float = 100.0
    init_max: tuple[float, ...] = (5.0, 48.0)
    lr: float = 0.2
    l2: float = 1e-6
    epochs: int = 10
    batch: int = 10
    dead_share: float = 1e-3
    validation: int = 1000
    check_every: int = 250
    seed: int = 0

    def __post_init__(self) -> None:
        check_learning(self, ("epochs", "batch", "check_every"))
        if self.validation < 0:
            raise ValueError(f"validation must be >= 0 images, not {self.validation!r}")
        if len(self.init_max) != len(self.sizes) - 1:
            raise ValueError(f"init_max needs one bound per layer ({len(self.sizes) - 1}), not {self.init_max!r}")

    @property
    def params(self) -> IfParams:
        return IfParams(self.theta, self.timesteps)


def check_learning(config, counts: tuple[str, ...]) -> None:
    """A training configuration's ``target`` and ``norm`` are known and its ``counts`` fields >= 1."""
    if config.target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}, not {config.target!r}")
    if config.norm not in NORMS:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}, not {config.norm!r}")
    for name in counts:
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be >= 1, not {getattr(config, name)!r}")


def init_weights(sizes, init_max, seed: int, init_min=None) -> list[torch.Tensor]:
    """Weights ``U[init_min[l], init_max[l]]`` per layer (``init_min`` 0 where not given), ``(N_out, N_in)``."""
    g = torch.Generator().manual_seed(seed)
    lows = init_min or (0.0,) * len(init_max)
    return [torch.rand(n_out, n_in, generator=g) * (hi - lo) + lo
            for n_in, n_out, lo, hi in zip(sizes[:-1], sizes[1:], lows, init_max)]


def sgd_step(weights: list[torch.Tensor], grads: list[torch.Tensor], lr: float, l2: float) -> None:
    """``w <- w - lr * (dL/dw + l2 * w)`` in place (Eq. 8 with the L2 term)."""
    for w, g in zip(weights, grads):
        w.sub_(lr * (g + l2 * w))


def train_step(weights, times_in: torch.Tensor, labels: torch.Tensor, config: ClassifierConfig) -> tuple[float, list[torch.Tensor]]:
    """One update on a batch of input times; returns the batch loss and the layers' spike counts."""
    times = forward(times_in, weights, config.params)
    tau = targets(config.target, times[-1], labels, config.timesteps)
    loss, grad = temporal_loss(times[-1], tau, config.timesteps)
    grads, _ = backward(times, weights, grad, config.params, config.norm)
    sgd_step(weights, grads, config.lr, config.l2)
    return float(loss), [(t < config.timesteps).sum(0) for t in times[1:]]


def reset_dead(weights, fire_counts, samples: int, config: ClassifierConfig, g: torch.Generator) -> int:
    """Redraw the input weights of hidden neurons that fired for fewer than ``dead_share`` of
    ``samples`` (S4NN's dead-neuron reset); returns how many were reset."""
    reset = 0
    for l in range(len(weights) - 1):
        dead = fire_counts[l] < config.dead_share * samples
        if dead.any():
            fresh = torch.rand(int(dead.sum()), weights[l].shape[1], generator=g) * config.init_max[l]
            weights[l][dead] = fresh.to(weights[l].dtype)
            reset += int(dead.sum())
    return reset


def decisions(times: list[torch.Tensor], weights, timesteps: int) -> dict[str, torch.Tensor]:
    """Per sample: predicted class (the first output spike, the lowest index among ties), decision
    step (T if no output fired), the outputs that fired at that step, the spikes the network issued
    up to and including it, and S4NN's fallback for a silent output (the output neuron with the
    largest final membrane)."""
    out = times[-1]
    t_dec, predicted = out.min(dim=1)
    spikes = sum(((t <= t_dec.unsqueeze(1)) & (t < timesteps)).sum(1) for t in times)
    final_v = (times[-2] < timesteps).to(weights[-1].dtype) @ weights[-1].t()
    silent = t_dec >= timesteps
    return {"predicted": predicted, "decision_step": t_dec, "first": out == t_dec.unsqueeze(1), "spikes": spikes,
            "silent": silent, "fallback": final_v.argmax(1)}


def correct(d: dict[str, torch.Tensor], labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Which :func:`decisions` are right ``(strict, s4nn)``. Strict: the predicted class is the label
    and an output fired. S4NN's test rule (its published code): right when the label's neuron is
    among the first to fire, and, when no output fired, when the fallback is the label."""
    strict = (d["predicted"] == labels) & ~d["silent"]
    first = d["first"].gather(1, labels.view(-1, 1))[:, 0]
    return strict, torch.where(d["silent"], d["fallback"] == labels, first)


def evaluate(weights, images: torch.Tensor, labels: torch.Tensor, config: ClassifierConfig, batch: int = 500) -> dict:
    """Accuracy (strict, and by S4NN's test rule), mean decision step and mean spikes to decision."""
    parts = [decisions(forward(encode_images(x, config.timesteps), weights, config.params), weights, config.timesteps)
             for x in images.split(batch)]
    d = {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
    strict, s4nn = correct(d, labels)
    return {
        "accuracy": float(strict.double().mean()),
        "accuracy_s4nn": float(s4nn.double().mean()),
        "decision_step": float(d["decision_step"].double().mean()),
        "spikes_to_decision": float(d["spikes"].double().mean()),
        "silent_share": float(d["silent"].double().mean()),
        "neurons": sum(config.sizes),
        "n": len(labels),
    }


@dataclass
class TrainedClassifier:
    config: ClassifierConfig
    weights: list[torch.Tensor]
    history: dict = field(default_factory=lambda: {"loss": [], "dead_reset": [], "validation": [], "best_update": None})

    def to_dict(self) -> dict:
        return {"config": asdict(self.config), "history": self.history}


def split_validation(n: int, config: ClassifierConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices ``(train, validation)`` of ``n`` training images: a seeded draw of ``config.validation``."""
    if config.validation >= n:
        raise ValueError(f"validation ({config.validation}) must leave training images of the {n} given")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(config.seed + 1))
    return order[config.validation:], order[:config.validation]


class _Best:
    """The weights of the best validation accuracy seen so far (the last ones without a validation set)."""

    def __init__(self, run: TrainedClassifier, images: torch.Tensor, labels: torch.Tensor):
        self.run, self.images, self.labels = run, images, labels
        self.accuracy, self.weights = -1.0, None

    def check(self, update: int) -> None:
        if not len(self.labels):
            return
        acc = evaluate(self.run.weights, self.images, self.labels, self.run.config)["accuracy"]
        self.run.history["validation"].append([update, acc])
        if acc > self.accuracy:
            self.accuracy, self.weights = acc, [w.clone() for w in self.run.weights]
            self.run.history["best_update"] = update

    def keep(self) -> None:
        if self.weights is not None:
            self.run.weights = self.weights


def train(images: torch.Tensor, labels: torch.Tensor, config: ClassifierConfig, desc: str = "TTFS classifier") -> TrainedClassifier:
    """Train on ``images`` ``(N, 784)`` in [0, 1] less the validation share; one throttled bar over all updates."""
    run = TrainedClassifier(config, init_weights(config.sizes, config.init_max, config.seed))
    keep, held = split_validation(len(labels), config)
    best = _Best(run, images[held], labels[held])
    times_all, labels = encode_images(images[keep], config.timesteps), labels[keep]
    g = torch.Generator().manual_seed(config.seed)
    per_epoch = -(-len(labels) // config.batch)
    update = 0
    with progress_bar(total=config.epochs * per_epoch, desc=desc, unit="upd") as bar:
        for _ in range(config.epochs):
            counts = [torch.zeros(n, dtype=torch.int64) for n in config.sizes[1:]]
            for idx in torch.randperm(len(labels), generator=g).split(config.batch):
                loss, fired_now = train_step(run.weights, times_all[idx], labels[idx], config)
                counts = [c + f for c, f in zip(counts, fired_now)]
                run.history["loss"].append(loss)
                update += 1
                if update % config.check_every == 0:
                    best.check(update)
                bar.update()
            run.history["dead_reset"].append(reset_dead(run.weights, counts, len(labels), config, g))
    if update % config.check_every:
        best.check(update)
    best.keep()
    return run
