"""The one description of a spiking network and its quantisation.

`SnnConfig` is read by the converter and golden model (`model/`), the RTL
generator (`hw/`) and the testbenches (`verify/`), and written into the
exported manifest, so nothing is configured twice. Its fields are the symbols
of ``docs/hardware-semantics.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from math import ceil

from model.errors import UserError

RESETS = ("zero", "subtract")
RNG_ALGORITHM = "xorshift32-13-17-5"


@dataclass(frozen=True)
class SnnConfig:
    """Shape, timing and bit widths of a spiking generator (see the semantics doc)."""

    sizes: tuple[int, ...] = (100, 1200, 1200, 784)
    timesteps: int = 64
    weight_bits: int = 8
    membrane_bits: int = 24
    input_bits: int = 8
    leak_shift: int | None = None
    reset: str = "subtract"
    lanes: int = 16
    rng_seed: int = 0x2545F491

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", tuple(int(n) for n in self.sizes))
        problems = []
        if len(self.sizes) < 2 or any(n < 1 for n in self.sizes):
            problems.append(f"sizes must be >= 2 positive layer widths, got {self.sizes}")
        if self.timesteps < 1:
            problems.append(f"timesteps must be >= 1, got {self.timesteps}")
        if not 2 <= self.weight_bits <= 32:
            problems.append(f"weight_bits must be in 2..32, got {self.weight_bits}")
        if not self.weight_bits < self.membrane_bits <= 48:
            problems.append(f"membrane_bits must be in weight_bits+1..48, got {self.membrane_bits}")
        if not 1 <= self.input_bits <= 31:
            problems.append(f"input_bits must be in 1..31, got {self.input_bits}")
        if self.leak_shift is not None and not 1 <= self.leak_shift < self.membrane_bits:
            problems.append(f"leak_shift must be null or in 1..membrane_bits-1, got {self.leak_shift}")
        if self.reset not in RESETS:
            problems.append(f"reset must be one of {RESETS}, got {self.reset!r}")
        if self.lanes < 1:
            problems.append(f"lanes must be >= 1, got {self.lanes}")
        if not 0 < self.rng_seed < 2**32:
            problems.append(f"rng_seed must be a non-zero 32-bit value, got {self.rng_seed}")
        if problems:
            raise UserError("invalid SNN configuration: " + "; ".join(problems))

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1

    def groups(self, layer: int) -> int:
        """Words per fan-out row of ``layer`` (1-based): ceil(N_l / P)."""
        return ceil(self.sizes[layer] / self.lanes)

    @property
    def weight_range(self) -> tuple[int, int]:
        return -(2 ** (self.weight_bits - 1)), 2 ** (self.weight_bits - 1) - 1

    @property
    def membrane_range(self) -> tuple[int, int]:
        return -(2 ** (self.membrane_bits - 1)), 2 ** (self.membrane_bits - 1) - 1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sizes"] = list(self.sizes)
        d["rng_algorithm"] = RNG_ALGORITHM
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SnnConfig":
        known = {f.name for f in fields(cls)}
        if d.get("rng_algorithm", RNG_ALGORITHM) != RNG_ALGORITHM:
            raise UserError(f"unsupported RNG {d['rng_algorithm']!r}; this version implements {RNG_ALGORITHM}.")
        missing = known - d.keys()
        if missing:
            raise UserError(f"SNN configuration lacks {sorted(missing)}")
        return cls(**{k: d[k] for k in known})


@dataclass
class IntNetwork:
    """A quantised spiking network: the integers the golden model and the RTL run.

    ``weights[l]`` has shape ``(N_{l+1}, N_l)`` (row = neuron, column = input),
    ``biases[l]`` shape ``(N_{l+1},)``, ``thresholds[l]`` a positive int; all
    numpy int64 arrays whose values must fit the widths of ``config``.
    """

    config: SnnConfig
    weights: list
    biases: list
    thresholds: list

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise `UserError` if any shape or value does not fit the configuration."""
        import numpy as np

        c = self.config
        if not len(self.weights) == len(self.biases) == len(self.thresholds) == c.layers:
            raise UserError(f"expected {c.layers} layers of weights, biases and thresholds")
        wlo, whi = c.weight_range
        mlo, mhi = c.membrane_range
        for l, (w, b, th) in enumerate(zip(self.weights, self.biases, self.thresholds), start=1):
            w, b = np.asarray(w), np.asarray(b)
            if w.shape != (c.sizes[l], c.sizes[l - 1]) or b.shape != (c.sizes[l],):
                raise UserError(
                    f"layer {l}: weights {w.shape} / biases {b.shape} do not match sizes "
                    f"{c.sizes[l - 1]} -> {c.sizes[l]}"
                )
            if w.size and (w.min() < wlo or w.max() > whi):
                raise UserError(
                    f"layer {l}: weight out of range [{wlo}, {whi}] for {c.weight_bits}-bit weights "
                    f"(found {w.min()} .. {w.max()})"
                )
            if b.size and (b.min() < mlo or b.max() > mhi):
                raise UserError(f"layer {l}: bias out of the {c.membrane_bits}-bit range (found {b.min()} .. {b.max()})")
            if not 1 <= int(th) <= mhi:
                raise UserError(f"layer {l}: threshold {th} not in 1..{mhi}")
