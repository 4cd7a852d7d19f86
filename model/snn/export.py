"""Export a quantised SNN for the hardware, and load it back, with every check, as one `Export`.

The files and their layout are defined in ``docs/hardware-semantics.md``
(Memory layout). An export directory holds ``manifest.json`` (format version,
the `SnnConfig`, thresholds, caller metadata, every file with its sha256), the
per-layer weight and bias memories, per test vector the encoder input,
the Spike ROM, and the golden model's expected outputs, and the directed
vectors that close the network's semantic coverage (`model.snn.closure`: their
encoder inputs, run through the generator's noise port). `load` reads all of it
once; the CLIs, the RTL builder, the flows and the testbenches take the
`Export` it returns.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.common.jsonio import dumps, write_json
from model.snn.config import IntNetwork, SnnConfig
from model.snn.golden import direct_current, encode_noise, encode_spikes, run_network
from model.snn.layout import (
    pack_biases,
    pack_lanes,
    pack_spikes,
    pack_weights,
    read_mem,
    unpack_biases,
    unpack_lanes,
    unpack_spikes,
    unpack_weights,
    write_mem,
)

FORMAT = "spikegan-snn"
# 2: the configuration names its neuron model and input coding.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
DIRECTED_FILE = "directed_noise.mem"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_mem_entry(out_dir: Path, name: str, words, width: int) -> dict:
    path = out_dir / name
    write_mem(path, words, width)
    return {"file": name, "sha256": _sha256(path), "width": width, "depth": len(words)}


def _layer_entry(out_dir: Path, net: IntNetwork, l: int) -> dict:
    c = net.config
    return {
        "layer": l,
        "inputs": c.sizes[l - 1],
        "neurons": c.sizes[l],
        "groups": c.groups(l),
        "weights": _write_mem_entry(
            out_dir, c.weight_file(l), pack_weights(net.weights[l - 1], c.lanes, c.weight_bits), c.weight_word_bits
        ),
        "bias": _write_mem_entry(
            out_dir, c.bias_file(l), pack_biases(net.biases[l - 1], c.lanes, c.membrane_bits), c.bias_word_bits
        ),
    }


def export_network(net: IntNetwork, out_dir, noise, extra: dict | None = None, directed: bool = True) -> Path:
    """Write the network, test vectors for the noise rows ``u`` ``(n, N_0)`` in [0, 1], their golden outputs and
    (``directed``) the directed vectors of `model.snn.closure.close`.

    ``extra`` (JSON-serialisable: scale factors, source checkpoint, ...) is
    stored as the manifest's ``extra``. Returns the manifest path.
    """
    net.validate()
    c = net.config
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    noise = np.asarray(noise, dtype=np.float64)
    if noise.ndim != 2 or noise.shape[1] != c.sizes[0]:
        raise UserError(f"test noise must have shape (n, {c.sizes[0]}), got {noise.shape}")
    try:
        extra_json = json.loads(dumps(extra or {}))
    except (TypeError, ValueError) as e:
        raise UserError(f"export metadata 'extra' must be JSON-serialisable: {e}") from None

    layers = [_layer_entry(out_dir, net, l) for l in range(1, c.layers + 1)]
    x = encode_noise(noise, c)
    spike_0 = encode_spikes(x, c)
    result = run_network(net, spike_0, current=direct_current(net, x))
    vectors = []
    for n in range(len(noise)):
        out_spikes = result.spikes[-1][n]
        expected = out_dir / f"vector{n}_expected.npz"
        counts = {f"counts{l}": result.counts[l][n] for l in range(1, c.layers + 1)}
        np.savez(expected, noise_u=noise[n], noise_x=x[n], out_spikes=out_spikes, image=result.image[n], **counts)
        vectors.append(
            {
                "index": n,
                "noise": _write_mem_entry(out_dir, f"vector{n}_noise.mem", pack_lanes(x[n][:, None], c.noise_bits), c.noise_bits),
                "spikes": _write_mem_entry(out_dir, f"vector{n}_spikes.mem", pack_spikes(spike_0[n]), c.sizes[0]),
                "out_spikes": _write_mem_entry(
                    out_dir, f"vector{n}_out_spikes.mem", pack_spikes(out_spikes), c.sizes[-1]
                ),
                "expected": {"file": expected.name, "sha256": _sha256(expected)},
                "output_spikes_total": int(out_spikes.sum()),
            }
        )

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": c.to_dict(),
        "thresholds": [int(t) for t in net.thresholds],
        "layers": layers,
        "vectors": vectors,
        "extra": extra_json,
    }
    if directed:
        manifest["directed"] = _directed_entry(net, out_dir)
    return write_json(out_dir / MANIFEST, manifest, indent=2)


def _directed_entry(net: IntNetwork, out_dir: Path) -> dict:
    """The directed vectors' encoder inputs (one file, vector after vector) and what they cover."""
    from model.snn.closure import close

    c = net.config
    found = close(net)
    x = encode_noise(found.noise, c).reshape(-1, 1)
    return {"noise": _write_mem_entry(out_dir, DIRECTED_FILE, pack_lanes(x, c.noise_bits), c.noise_bits),
            "coverage": found.summary()}


# ---------------------------------------------------------------- load


@dataclass
class TestVector:
    """One exported test vector: encoder input, Spike ROM, and the golden model's outputs."""

    __test__ = False  # not a pytest class

    index: int
    noise_u: np.ndarray  # (N_0,) float64, the noise before encoding
    noise_x: np.ndarray  # (N_0,) int64, X
    spikes: np.ndarray  # (T, N_0) uint8, the Spike ROM
    out_spikes: np.ndarray  # (T, N_L) uint8
    counts: list  # C_l (N_l,) for l = 1..L
    image: np.ndarray  # (N_L,) C_L / T


@dataclass(frozen=True)
class Export:
    """A loaded export: the manifest file, its parsed content, the network and the test vectors, all checked."""

    path: Path  # the manifest file
    manifest: dict
    net: IntNetwork
    vectors: tuple[TestVector, ...]
    directed: np.ndarray  # (k, N_0) the directed vectors' encoder inputs X; none in an export made before them

    @property
    def config(self) -> SnnConfig:
        return self.net.config

    @property
    def extra(self) -> dict:
        return self.manifest.get("extra", {})

    @cached_property
    def sha256(self) -> str:
        """The manifest's digest (it holds every file's digest, so it names the whole export)."""
        return _sha256(self.path)

    @property
    def noise_x(self) -> np.ndarray:
        """The encoder inputs of every test vector, ``(V, N_0)``: what the generator's ROMs hold."""
        return np.stack([v.noise_x for v in self.vectors])

    def with_lanes(self, lanes: int | None) -> "Export":
        """The same export with the network laid out in ``P = lanes`` lanes (results unchanged)."""
        net = self.net.with_lanes(lanes)
        return self if net is self.net else replace(self, net=net)


# The command that writes each of the project's exports, from the folder of its network (weights/<run>/snn).
_TARGETS = (
    (r"gan-(mnist|fashion)-fpga", "make convert-fpga"),
    (r"gan-(mnist|fashion)-ice40", "make convert-ice40"),
    (r"gan-(mnist|fashion)-h(\d+)", "make convert HIDDEN={1}"),
    (r"gan-(mnist|fashion)", "make convert"),
    (r"ttfs-mnist", "make ttfs"),
    (r"nir-mnist", "make nir"),
)


# Exports beside a run's default one (weights/<run>/<folder>): the target that writes them for the FPGA and
# iCE40 networks, and for the full one.
_FOLDERS = {"snn-ramp": ("make exact", None), "snn-direct": ("make exact", "make rate")}


def export_command(path: Path) -> str:
    """How the export at ``path`` (its manifest) is made again: its make target, or the commands that export."""
    folder, run = Path(path).parent.name, Path(path).parent.parent.name
    small, full = _FOLDERS.get(folder, (None, None))
    target = small if re.fullmatch(r"gan-(mnist|fashion)-(fpga|ice40)", run) else full
    if target:
        return f"`{target}`"
    for pattern, target in _TARGETS:
        m = re.fullmatch(pattern, run)
        if m:
            groups = m.groups()
            dataset = f" DATASET={groups[0]}" if groups and groups[0] != "mnist" else ""
            return f"`{target.format(*groups)}{dataset}`"
    return "`spikegan convert`, `spikegan import` or `spikegan ttfs`, whichever wrote it"


def load(manifest_path) -> Export:
    """Load an export (its manifest file or folder), checking version, files, checksums, widths and vectors.

    Every refusal ends with how to make this export again (`export_command`)."""
    path = Path(manifest_path)
    path = path / MANIFEST if path.is_dir() else path
    try:
        manifest, path = _read_manifest(path)
        net = _load_network(manifest, path.parent)
        vectors = tuple(_load_vector(manifest, path.parent, net.config, k, v) for k, v in enumerate(manifest["vectors"]))
        directed = _load_directed(manifest, path.parent, net.config)
    except UserError as e:
        fix = "export it with" if not path.is_file() else "re-export it with"
        raise UserError(f"{e}; {fix} {export_command(path)}") from None
    return Export(path, manifest, net, vectors, directed)


def _read_manifest(path: Path) -> tuple[dict, Path]:
    if not path.is_file():
        raise UserError(f"no SNN manifest at {path}")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError(f"{path} is not a {FORMAT} manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise UserError(
            f"{path} has format version {version!r}; this code reads version {FORMAT_VERSION} only "
            "(make does it again when the folder is removed)"
        )
    for key, kind in (("config", dict), ("thresholds", list), ("layers", list), ("vectors", list)):
        if not isinstance(manifest.get(key), kind):
            raise UserError(f"{path}: the key {key!r} is missing or not a {kind.__name__}")
    return manifest, path.resolve()


def _field(entry, key: str, what: str):
    if not isinstance(entry, dict) or key not in entry:
        raise UserError(f"the manifest's {what} has no {key!r}")
    return entry[key]


def _checked_file(base: Path, entry: dict, what: str) -> Path:
    """The file of a manifest entry, after checking that it exists and matches its sha256."""
    path = base / str(_field(entry, "file", what))
    sha = _field(entry, "sha256", what)
    if not path.is_file():
        raise UserError(f"missing file {path} named by the manifest")
    digest = _sha256(path)
    if digest != sha:
        raise UserError(
            f"checksum mismatch for {path}: manifest says {str(sha)[:16]}..., file is {digest[:16]}...; "
            "the file was modified or truncated"
        )
    return path


def _read_entry(base: Path, entry: dict, what: str, width: int, depth: int) -> list[int]:
    if _field(entry, "width", what) != width or _field(entry, "depth", what) != depth:
        raise UserError(
            f"{entry['file']}: declared {entry.get('width')} bits x {entry.get('depth')} words, "
            f"the configuration implies {width} x {depth}"
        )
    return read_mem(_checked_file(base, entry, what), width, depth)


def _load_network(manifest: dict, base: Path) -> IntNetwork:
    c = SnnConfig.from_dict(manifest["config"])
    if len(manifest["layers"]) != c.layers:
        raise UserError(f"manifest lists {len(manifest['layers'])} layers, its configuration has {c.layers}")
    weights, biases = [], []
    for l, entry in enumerate(manifest["layers"], start=1):
        n_in, n_out, g = c.sizes[l - 1], c.sizes[l], c.groups(l)
        try:
            w_words = _read_entry(base, _field(entry, "weights", f"layer {l}"), "weights entry", c.weight_word_bits, n_in * g)
            b_words = _read_entry(base, _field(entry, "bias", f"layer {l}"), "bias entry", c.bias_word_bits, g)
            weights.append(unpack_weights(w_words, n_out, n_in, c.lanes, c.weight_bits))
            biases.append(unpack_biases(b_words, n_out, c.lanes, c.membrane_bits))
        except UserError as e:
            raise UserError(f"layer {l}: {e}") from None
    thresholds = manifest["thresholds"]
    if not all(isinstance(t, int) and not isinstance(t, bool) for t in thresholds):
        raise UserError(f"thresholds must be integers, got {thresholds}")
    return IntNetwork(c, weights, biases, list(thresholds))


def _load_directed(manifest: dict, base: Path, c: SnnConfig) -> np.ndarray:
    """The directed vectors' encoder inputs ``(k, N_0)`` (none where the manifest has no ``directed`` entry)."""
    entry = manifest.get("directed")
    if entry is None:
        return np.zeros((0, c.sizes[0]), dtype=np.int64)
    count = _field(_field(entry, "coverage", "directed vectors"), "vectors", "directed vectors' coverage")
    if not isinstance(count, int) or count < 0:
        raise UserError(f"the directed vectors' count must be an integer >= 0, got {count!r}")
    words = _read_entry(base, _field(entry, "noise", "directed vectors"), "directed vectors", c.noise_bits, count * c.sizes[0])
    x = unpack_lanes(words, 1, c.noise_bits, False)[:, 0].reshape(count, c.sizes[0])
    if x.max(initial=0) > 1 << c.input_bits:
        raise UserError(f"directed vectors: encoder input {x.max()} exceeds 2^R = {1 << c.input_bits}")
    return x


def _load_vector(manifest: dict, base: Path, c: SnnConfig, k: int, v: dict) -> TestVector:
    """The ``k``-th test vector, checked for files, checksums, widths and agreement between its files."""
    n = _field(v, "index", "test vector")
    if n != k or isinstance(n, bool):
        raise UserError(f"test vector {k} has index {n!r}; the vectors must be numbered 0, 1, ... in order")
    what = f"vector {n}"
    try:
        x = unpack_lanes(_read_entry(base, _field(v, "noise", what), what, c.noise_bits, c.sizes[0]), 1, c.noise_bits, False)[:, 0]
        if x.max(initial=0) > 1 << c.input_bits:
            raise UserError(f"encoder input {x.max()} exceeds 2^R = {1 << c.input_bits}")
        spikes = unpack_spikes(_read_entry(base, _field(v, "spikes", what), what, c.sizes[0], c.timesteps), c.sizes[0])
        out_spikes = unpack_spikes(
            _read_entry(base, _field(v, "out_spikes", what), what, c.sizes[-1], c.timesteps), c.sizes[-1]
        )
        with np.load(_checked_file(base, _field(v, "expected", what), what)) as z:
            data = {k: z[k] for k in z.files}
    except UserError as e:
        raise UserError(f"vector {n}: {e}") from None
    counts = [data[f"counts{l}"] for l in range(1, c.layers + 1)]
    if not np.array_equal(spikes, encode_spikes(x, c)):
        raise UserError(f"vector {n}: the Spike ROM does not match the encoder run on its noise file")
    if not (np.array_equal(data["noise_x"], x) and np.array_equal(data["out_spikes"], out_spikes)):
        raise UserError(f"vector {n}: {v['expected']['file']} disagrees with the .mem files")
    return TestVector(n, data["noise_u"], x, spikes, out_spikes, counts, data["image"])
