"""The one description of a spiking network and its quantisation.

`SnnConfig` is read by the converter and golden model (`model/`), the RTL
generator (`hw/`) and the testbenches (`verify/`), and written into the
exported manifest, so nothing is configured twice. Its fields are the symbols
of ``docs/hardware-semantics.md``; what follows from them (groups per layer,
counter widths, word widths, memory file names) is derived here and nowhere
else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from model.common.errors import UserError
from model.snn.xorshift import ALGORITHM as RNG_ALGORITHM

# Resets after a spike: "zero", "subtract" (theta) for the rate neuron; "floor" (to -2^(m-1): the
# neuron never fires again) for TTFS.
RATE_RESETS = ("zero", "subtract")
RESETS = (*RATE_RESETS, "floor")
# Neuron models: "rate" is the IF/LIF of the semantics doc (leak_shift None: IF); "ttfs" fires at
# most once per image (reset "floor", no leak) and is read out by its first spike time; "ramp" is the
# exact ReLU -> TTFS neuron of docs/exact-ttfs-semantics.md (one window per layer, its value the spike time).
NEURONS = ("rate", "ttfs", "ramp")
TTFS_NEURONS = ("ttfs", "ramp")  # read out by their first spike times
# Input codings: "bernoulli" compares X_i with a fresh xorshift32 number each step (Eq. 4);
# "stratified" compares it with a low-discrepancy threshold of the step, the same for every input
# (the bit-reversed step), so the rate has no coding noise; "direct" sends no input spikes: layer 1
# adds the current B_1 + W_1 X, computed once per image, every step; "ttfs" fires input i once, at
# step X_i (X_i = T: never).
CODINGS = ("bernoulli", "stratified", "direct", "ttfs")
RATE_CODINGS = ("bernoulli", "stratified", "direct")  # the codings of a rate-coded ("rate") network
TTFS = {"neuron": "ttfs", "coding": "ttfs", "reset": "floor", "leak_shift": None}
RAMP = {**TTFS, "neuron": "ramp"}
RNG_SEED = 0x2545F491

# Memory files of the generator (``$readmemh``), named once for the exporter, the RTL and the testbenches.
SPIKE_FILE = "spike_rom.mem"
NOISE_FILE = "noise_rom.mem"
ACTIVATION_FILE = "activation_rom.mem"  # the ANN twin's input activations (hw.ann_input)


def groups_of(n: int, lanes: int) -> int:
    """Words of ``lanes`` neurons that hold ``n`` neurons: ``G = ceil(n / P)``."""
    return -(-n // lanes)


def leak_text(leak_shift: int | None) -> str:
    """The leak as every report writes it: "none (IF)", or "V >> k" (LIF: ``V -= V >> k`` each step)."""
    return "none (IF)" if leak_shift is None else f"V >> {leak_shift}"


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True)
class SnnConfig:
    """Shape, timing, bit widths, neuron model and input coding of a spiking generator (see the semantics doc)."""

    sizes: tuple[int, ...] = (100, 1200, 1200, 784)
    timesteps: int = 64
    weight_bits: int = 8
    membrane_bits: int = 24
    input_bits: int = 8
    leak_shift: int | None = None
    reset: str = "subtract"
    lanes: int = 16
    rng_seed: int = RNG_SEED
    neuron: str = "rate"
    coding: str = "bernoulli"

    def __post_init__(self) -> None:
        if not isinstance(self.sizes, (list, tuple)) or not all(_is_int(n) for n in self.sizes):
            raise UserError(f"invalid SNN configuration: sizes must be a list of layer widths, got {self.sizes!r}")
        object.__setattr__(self, "sizes", tuple(int(n) for n in self.sizes))
        ints = ("timesteps", "weight_bits", "membrane_bits", "input_bits", "lanes", "rng_seed")
        wrong = [f"{k} must be an integer, got {getattr(self, k)!r}" for k in ints if not _is_int(getattr(self, k))]
        if self.leak_shift is not None and not _is_int(self.leak_shift):
            wrong.append(f"leak_shift must be null or an integer, got {self.leak_shift!r}")
        if wrong:
            raise UserError("invalid SNN configuration: " + "; ".join(wrong))
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
        if self.neuron not in NEURONS:
            problems.append(f"neuron {self.neuron!r} is not one this version implements ({', '.join(NEURONS)})")
        if self.coding not in CODINGS:
            problems.append(f"coding {self.coding!r} is not one this version implements ({', '.join(CODINGS)})")
        if self.coding == "direct" and self.neuron != "rate":
            problems.append(f"direct coding drives rate neurons, not {self.neuron!r} ones")
        if (self.neuron in TTFS_NEURONS or self.reset == "floor" or self.coding == "ttfs") and not problems:
            needs = RAMP if self.neuron == "ramp" else TTFS
            wrong = {k: getattr(self, k) for k, v in needs.items() if getattr(self, k) != v}
            if wrong:
                problems.append(f"a {'ramp' if needs is RAMP else 'TTFS'} network needs {needs}; this one has {wrong}")
            elif self.timesteps > 1 << self.input_bits:
                problems.append(f"ttfs coding stores spike times 0..T in R + 1 bits: needs T <= 2^R = {1 << self.input_bits}, got T = {self.timesteps}")
        if problems:
            raise UserError("invalid SNN configuration: " + "; ".join(problems))

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1

    def groups(self, layer: int) -> int:
        """Words per fan-out row of ``layer`` (0 is the input): ``G_l = ceil(N_l / P)``."""
        return groups_of(self.sizes[layer], self.lanes)

    @property
    def sweeps_event_steps_only(self) -> bool:
        """Whether a layer sweeps only at the steps where its input has events: a TTFS neuron has no bias and
        no leak and is reset below its threshold, so a step without input events changes no membrane and
        fires nothing, and its sweep can be left out without changing a spike."""
        return self.neuron == "ttfs"

    @property
    def direct(self) -> bool:
        """Whether layer 1 is driven by the current ``B_1 + W_1 X`` instead of input spikes."""
        return self.coding == "direct"

    def driven(self, layer: int) -> bool:
        """Whether ``layer`` (1-based) takes a current instead of input spikes: layer 1 of a direct-coded network."""
        return self.direct and layer == 1

    @property
    def max_groups(self) -> int:
        """The most groups of any spiking layer (the read-out address range)."""
        return max(self.groups(l) for l in range(1, self.layers + 1))

    @property
    def count_bits(self) -> int:
        """Bits of a spike counter that counts up to ``T``."""
        return max(1, self.timesteps.bit_length())

    @property
    def noise_bits(self) -> int:
        """Bits of an encoder input ``X`` in ``0 .. 2^R``: ``R + 1``."""
        return self.input_bits + 1

    @property
    def weight_word_bits(self) -> int:
        return self.lanes * self.weight_bits

    @property
    def bias_word_bits(self) -> int:
        return self.lanes * self.membrane_bits

    @staticmethod
    def weight_file(layer: int) -> str:
        """The weight memory of ``layer`` (1-based)."""
        return f"layer{layer}_weights.mem"

    @staticmethod
    def bias_file(layer: int) -> str:
        """The bias memory of ``layer`` (1-based)."""
        return f"layer{layer}_bias.mem"

    @property
    def weight_range(self) -> tuple[int, int]:
        return -(2 ** (self.weight_bits - 1)), 2 ** (self.weight_bits - 1) - 1

    @property
    def membrane_range(self) -> tuple[int, int]:
        return -(2 ** (self.membrane_bits - 1)), 2 ** (self.membrane_bits - 1) - 1

    def with_lanes(self, lanes: int | None) -> "SnnConfig":
        """The same network with ``P = lanes`` (it changes only the memory layout, never the results)."""
        if lanes is None or lanes == self.lanes:
            return self
        if not _is_int(lanes) or lanes < 1:
            raise UserError(f"lanes must be an integer >= 1, got {lanes!r}")
        return replace(self, lanes=lanes)

    def describe(self, lanes: bool = True) -> str:
        """The configuration in one line of words, for report headers and figure titles (``lanes``: with ``P``)."""
        kind = {"ttfs": "TTFS network", "ramp": "exact-TTFS (ramp) network"}.get(self.neuron, "network")
        return (f"{'-'.join(map(str, self.sizes))} {kind}, {self.coding} coding, T = {self.timesteps}, "
                f"{self.weight_bits}-bit weights, {self.membrane_bits}-bit membranes, reset {self.reset}, "
                f"leak {leak_text(self.leak_shift)}" + (f", P = {self.lanes} lanes" if lanes else ""))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sizes"] = list(self.sizes)
        d["rng_algorithm"] = RNG_ALGORITHM
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SnnConfig":
        if not isinstance(d, dict):
            raise UserError(f"the SNN configuration must be a JSON object, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        if d.get("rng_algorithm", RNG_ALGORITHM) != RNG_ALGORITHM:
            raise UserError(f"unsupported RNG {d['rng_algorithm']!r}; this version implements {RNG_ALGORITHM}.")
        missing = known - d.keys()
        if missing:
            raise UserError(f"SNN configuration lacks {sorted(missing)}")
        unknown = sorted(set(d) - known - {"rng_algorithm"})
        if unknown:
            raise UserError(f"SNN configuration has the unknown field {unknown[0]!r} (fields: {', '.join(sorted(known))}); "
                            "it was written by another version")
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

    def with_lanes(self, lanes: int | None) -> "IntNetwork":
        """The same network laid out in ``P = lanes`` lanes (`SnnConfig.with_lanes`)."""
        config = self.config.with_lanes(lanes)
        return self if config is self.config else IntNetwork(config, self.weights, self.biases, self.thresholds)

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
            if c.neuron == "ramp":  # its reach bounds the bias too, and says how many bits would do
                _check_ramp_layer(c, l, w, b, int(th))
                continue
            if b.size and (b.min() < mlo or b.max() > mhi):
                raise UserError(f"layer {l}: bias out of the {c.membrane_bits}-bit range (found {b.min()} .. {b.max()})")
            if c.neuron == "ttfs" and b.any():
                raise UserError(f"layer {l}: a TTFS neuron has no bias (found {int((b != 0).sum())} non-zero); "
                                "export TTFS networks with zero biases")
            if not 1 <= int(th) <= mhi:
                raise UserError(f"layer {l}: threshold {th} not in 1..{mhi}")
            if c.driven(l):
                reach = int((np.abs(w).sum(1) * (1 << c.input_bits) + np.abs(b)).max(initial=0))
                if reach > mhi:
                    raise UserError(
                        f"layer 1: the direct current B_1 + W_1 X can reach {reach}, beyond the {c.membrane_bits}-bit "
                        f"membrane's {mhi}; use more membrane bits"
                    )
            rise = int(np.maximum(w, 0).sum(1).max(initial=0))
            if c.reset == "floor" and rise + mlo >= int(th):
                raise UserError(
                    f"layer {l}: a neuron reset to the floor ({mlo}) could fire again (its inputs can add "
                    f"{rise}, threshold {th}); use more membrane bits"
                )


def _check_ramp_layer(c: SnnConfig, l: int, w, b, theta: int) -> None:
    """A ramp layer's threshold is ``T R`` and its membrane holds ``T sum|W| + |B|`` (docs/exact-ttfs-semantics.md)."""
    import numpy as np

    mhi = c.membrane_range[1]
    if theta < c.timesteps or theta % c.timesteps:
        raise UserError(f"layer {l}: a ramp threshold is T R with an integer R >= 1; {theta} is not a multiple of T = {c.timesteps}")
    reach = max(c.timesteps * int(np.abs(w).sum(1).max(initial=0)) + int(np.abs(b).max(initial=0)), theta)
    if reach > mhi:
        raise UserError(f"layer {l}: the membrane can reach {reach}, beyond the {c.membrane_bits}-bit range's {mhi}; "
                        f"use {ramp_membrane_bits(reach)} membrane bits (the converter picks them when not told)")


def ramp_membrane_bits(reach: int) -> int:
    """The fewest signed bits that hold ``-reach .. reach``."""
    return int(reach).bit_length() + 1
