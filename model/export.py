"""Export a quantised SNN for the hardware, and load it back with every check.

The files and their layout are defined in ``docs/hardware-semantics.md``
(Memory layout). An export directory holds ``manifest.json`` (format version,
the `SnnConfig`, thresholds, caller metadata, every file with its sha256), the
per-layer weight and bias memories, and per test vector the encoder input,
the Spike ROM, and the golden model's expected outputs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.errors import UserError
from model.golden import encode_noise, encode_spikes, run_network
from model.snn_config import IntNetwork, SnnConfig

FORMAT = "spikegan-snn"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


# ---------------------------------------------------------------- words and lanes


def _pack(values: np.ndarray, bits: int) -> list[int]:
    """Rows of lane values ``(depth, P)`` to words: lane ``p`` in bits ``[p*bits, (p+1)*bits)``, two's complement."""
    values = np.asarray(values, dtype=np.int64)
    depth, lanes = values.shape
    if depth == 0:
        return []
    unsigned = values.astype(np.uint64) & np.uint64((1 << bits) - 1)
    bit = ((unsigned[:, :, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    bit = bit.reshape(depth, lanes * bits)  # LSB first
    digits = -(-lanes * bits // 4)
    bit = np.pad(bit, ((0, 0), (0, digits * 4 - lanes * bits)))
    nibbles = bit.reshape(depth, digits, 4) @ np.array([1, 2, 4, 8], dtype=np.uint8)
    text = _HEX[nibbles[:, ::-1]].tobytes().decode("ascii")
    return [int(text[r * digits : (r + 1) * digits], 16) for r in range(depth)]


def _unpack(words, lanes: int, bits: int, signed: bool) -> np.ndarray:
    """Words to lane values ``(depth, P)``; raises `UserError` if a word is wider than ``P * bits``."""
    width = lanes * bits
    words = list(words)
    too_wide = [k for k, word in enumerate(words) if not 0 <= word < 1 << width]
    if too_wide:
        raise UserError(f"word {too_wide[0]} ({words[too_wide[0]]:#x}) does not fit its declared width of {width} bits")
    if not words:
        return np.zeros((0, lanes), dtype=np.int64)
    digits = -(-width // 4)
    text = np.frombuffer("".join(f"{w:0{digits}x}" for w in words).encode("ascii"), dtype=np.uint8)
    nibbles = np.where(text >= ord("a"), text - ord("a") + 10, text - ord("0")).reshape(len(words), digits)[:, ::-1]
    bit = (nibbles[:, :, None] >> np.arange(4, dtype=np.uint8)) & 1  # (depth, digits, 4), LSB first
    bit = bit.reshape(len(words), digits * 4)[:, :width].reshape(len(words), lanes, bits).astype(np.int64)
    values = bit @ (np.int64(1) << np.arange(bits, dtype=np.int64))
    if signed:
        values = values - (bit[:, :, -1] << bits)
    return values


def pack_weights(w, lanes: int, bits: int) -> list[int]:
    """``W_l`` ``(N_l, N_{l-1})`` to weight-memory words.

    Word ``i*G + g`` holds neurons ``g*P .. g*P+P-1`` of input ``i``; lanes past ``N_l`` are 0.
    """
    w = np.asarray(w, dtype=np.int64)
    n_out, n_in = w.shape
    groups = -(-n_out // lanes)
    padded = np.zeros((n_in, groups * lanes), dtype=np.int64)
    padded[:, :n_out] = w.T
    return _pack(padded.reshape(n_in * groups, lanes), bits)


def unpack_weights(words, n_out: int, n_in: int, lanes: int, bits: int) -> np.ndarray:
    """Inverse of `pack_weights`; refuses a wrong depth or non-zero padding lanes."""
    groups = -(-n_out // lanes)
    if len(words) != n_in * groups:
        raise UserError(
            f"weight memory has {len(words)} words, expected N_in * G = {n_in} * {groups} = {n_in * groups}"
        )
    padded = _unpack(words, lanes, bits, signed=True).reshape(n_in, groups * lanes)
    if np.any(padded[:, n_out:]):
        raise UserError(f"weight memory has non-zero values in the padding lanes past neuron {n_out - 1}")
    return np.ascontiguousarray(padded[:, :n_out].T)


def pack_biases(b, lanes: int, bits: int) -> list[int]:
    """``B_l`` ``(N_l,)`` to the bias memory: word ``g`` holds ``B_l[g*P + p]`` in lane ``p``."""
    b = np.asarray(b, dtype=np.int64)
    groups = -(-len(b) // lanes)
    padded = np.zeros(groups * lanes, dtype=np.int64)
    padded[: len(b)] = b
    return _pack(padded.reshape(groups, lanes), bits)


def unpack_biases(words, n: int, lanes: int, bits: int) -> np.ndarray:
    """Inverse of `pack_biases`; refuses a wrong depth or non-zero padding lanes."""
    groups = -(-n // lanes)
    if len(words) != groups:
        raise UserError(f"bias memory has {len(words)} words, expected G = {groups}")
    padded = _unpack(words, lanes, bits, signed=True).reshape(-1)
    if np.any(padded[n:]):
        raise UserError(f"bias memory has non-zero values in the padding lanes past neuron {n - 1}")
    return padded[:n].copy()


def pack_spikes(trains) -> list[int]:
    """Spike trains ``(T, N)`` of 0/1 to ``T`` words of ``N`` bits, bit ``j`` of word ``t`` = ``trains[t][j]``."""
    return _pack(np.asarray(trains, dtype=np.int64), 1)


def unpack_spikes(words, n: int) -> np.ndarray:
    """Inverse of `pack_spikes`: ``(T, N)`` uint8."""
    return _unpack(words, n, 1, signed=False).astype(np.uint8)


# ---------------------------------------------------------------- $readmemh files


def write_mem(path, words, width: int) -> None:
    """Write words as ``$readmemh`` hex, one word per line, ``ceil(width / 4)`` digits each."""
    digits = -(-width // 4)
    Path(path).write_text("".join(f"{w:0{digits}x}\n" for w in words))


def read_mem(path, width: int, depth: int | None = None) -> list[int]:
    """Read a file written by `write_mem`; refuses bad hex, wrong depth, or words wider than ``width``."""
    path = Path(path)
    lines = path.read_text().split()
    if depth is not None and len(lines) != depth:
        raise UserError(f"{path}: {len(lines)} words, the manifest declares {depth}; re-export it (make convert)")
    words = []
    for k, line in enumerate(lines):
        try:
            word = int(line, 16)
        except ValueError:
            raise UserError(f"{path}: line {k + 1} ({line!r}) is not a hex word") from None
        if word >> width:
            raise UserError(f"{path}: word {k} ({line}) does not fit its declared width of {width} bits")
        words.append(word)
    return words


# ---------------------------------------------------------------- export


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _write_mem_entry(out_dir: Path, name: str, words, width: int) -> dict:
    path = out_dir / name
    write_mem(path, words, width)
    return {"file": name, "sha256": _sha256(path), "width": width, "depth": len(words)}


def export_network(net: IntNetwork, out_dir, noise, extra: dict | None = None) -> Path:
    """Write the network, test vectors for the noise rows ``u`` ``(n, N_0)`` in [0, 1], and their golden outputs.

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
        extra_json = json.loads(json.dumps(extra or {}, default=_json_default))
    except (TypeError, ValueError) as e:
        raise UserError(f"export metadata 'extra' must be JSON-serialisable: {e}") from None

    layers = []
    for l in range(1, c.layers + 1):
        w, b = net.weights[l - 1], net.biases[l - 1]
        layers.append(
            {
                "layer": l,
                "inputs": c.sizes[l - 1],
                "neurons": c.sizes[l],
                "groups": c.groups(l),
                "weights": _write_mem_entry(
                    out_dir, f"layer{l}_weights.mem", pack_weights(w, c.lanes, c.weight_bits), c.lanes * c.weight_bits
                ),
                "bias": _write_mem_entry(
                    out_dir, f"layer{l}_bias.mem", pack_biases(b, c.lanes, c.membrane_bits), c.lanes * c.membrane_bits
                ),
            }
        )

    x = encode_noise(noise, c)
    spike_0 = encode_spikes(x, c)
    result = run_network(net, spike_0)
    vectors = []
    for n in range(len(noise)):
        out_spikes = result.spikes[-1][n]
        expected = out_dir / f"vector{n}_expected.npz"
        counts = {f"counts{l}": result.counts[l][n] for l in range(1, c.layers + 1)}
        np.savez(expected, noise_u=noise[n], noise_x=x[n], out_spikes=out_spikes, image=result.image[n], **counts)
        x_bits = c.input_bits + 1
        vectors.append(
            {
                "index": n,
                "noise": _write_mem_entry(out_dir, f"vector{n}_noise.mem", _pack(x[n][:, None], x_bits), x_bits),
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
    path = out_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


# ---------------------------------------------------------------- load


def read_manifest(manifest_path) -> dict:
    """Parse and check a manifest (a file or its directory): format and version; files are checked where read."""
    return _read_manifest(manifest_path)[0]


def _read_manifest(manifest_path) -> tuple[dict, Path]:
    path = Path(manifest_path)
    if path.is_dir():
        path = path / MANIFEST
    if not path.is_file():
        raise UserError(f"no SNN manifest at {path}; run `make convert` to export one")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"{path} is not valid JSON ({e}); re-export it with `make convert`") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError(f"{path} is not a {FORMAT} manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise UserError(
            f"{path} has format version {version!r}; this code reads version {FORMAT_VERSION} only. "
            "Re-export with `make convert`."
        )
    for key in ("config", "thresholds", "layers", "vectors"):
        if key not in manifest:
            raise UserError(f"{path} lacks the key {key!r}; re-export it with `make convert`")
    return manifest, path.parent


def _checked_file(base: Path, entry: dict) -> Path:
    """The file of a manifest entry, after checking that it exists and matches its sha256."""
    path = base / entry["file"]
    if not path.is_file():
        raise UserError(f"missing file {path} named by the manifest; re-export with `make convert`")
    digest = _sha256(path)
    if digest != entry["sha256"]:
        raise UserError(
            f"checksum mismatch for {path}: manifest says {entry['sha256'][:16]}..., file is {digest[:16]}...; "
            "the file was modified or truncated, re-export with `make convert`"
        )
    return path


def _read_entry(base: Path, entry: dict, width: int, depth: int) -> list[int]:
    if entry.get("width") != width or entry.get("depth") != depth:
        raise UserError(
            f"{entry['file']}: declared {entry.get('width')} bits x {entry.get('depth')} words, "
            f"the configuration implies {width} x {depth}"
        )
    return read_mem(_checked_file(base, entry), width, depth)


def load_network(manifest_path) -> tuple[IntNetwork, dict]:
    """Load an exported network, checking version, files, checksums and value widths."""
    manifest, base = _read_manifest(manifest_path)
    c = SnnConfig.from_dict(manifest["config"])
    if len(manifest["layers"]) != c.layers:
        raise UserError(f"manifest lists {len(manifest['layers'])} layers, its configuration has {c.layers}")
    weights, biases = [], []
    for l, entry in enumerate(manifest["layers"], start=1):
        n_in, n_out, g = c.sizes[l - 1], c.sizes[l], c.groups(l)
        try:
            w_words = _read_entry(base, entry["weights"], c.lanes * c.weight_bits, n_in * g)
            b_words = _read_entry(base, entry["bias"], c.lanes * c.membrane_bits, g)
            weights.append(unpack_weights(w_words, n_out, n_in, c.lanes, c.weight_bits))
            biases.append(unpack_biases(b_words, n_out, c.lanes, c.membrane_bits))
        except UserError as e:
            raise UserError(f"layer {l}: {e}") from None
    thresholds = manifest["thresholds"]
    if not all(isinstance(t, int) for t in thresholds):
        raise UserError(f"thresholds must be integers, got {thresholds}")
    return IntNetwork(c, weights, biases, list(thresholds)), manifest


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


def load_vectors(manifest_path) -> list[TestVector]:
    """Load the test vectors of an export, checking files, checksums, widths and that they agree with each other."""
    manifest, base = _read_manifest(manifest_path)
    c = SnnConfig.from_dict(manifest["config"])
    out = []
    for v in manifest["vectors"]:
        n = v["index"]
        try:
            x = _unpack(_read_entry(base, v["noise"], c.input_bits + 1, c.sizes[0]), 1, c.input_bits + 1, False)[:, 0]
            if x.max(initial=0) > 1 << c.input_bits:
                raise UserError(f"encoder input {x.max()} exceeds 2^R = {1 << c.input_bits}")
            spikes = unpack_spikes(_read_entry(base, v["spikes"], c.sizes[0], c.timesteps), c.sizes[0])
            out_spikes = unpack_spikes(_read_entry(base, v["out_spikes"], c.sizes[-1], c.timesteps), c.sizes[-1])
            with np.load(_checked_file(base, v["expected"])) as z:
                data = {k: z[k] for k in z.files}
        except UserError as e:
            raise UserError(f"vector {n}: {e}") from None
        counts = [data[f"counts{l}"] for l in range(1, c.layers + 1)]
        if not np.array_equal(spikes, encode_spikes(x, c)):
            raise UserError(f"vector {n}: the Spike ROM does not match the encoder run on its noise file")
        if not (np.array_equal(data["noise_x"], x) and np.array_equal(data["out_spikes"], out_spikes)):
            raise UserError(f"vector {n}: {v['expected']['file']} disagrees with the .mem files")
        out.append(TestVector(n, data["noise_u"], x, spikes, out_spikes, counts, data["image"]))
    return out
