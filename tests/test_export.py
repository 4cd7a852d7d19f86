"""Weight export: memory layout, round trip, and every refusal of a bad export."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from model.common.errors import UserError
from model.snn.config import SnnConfig
from model.snn.export import FORMAT_VERSION, export_network, load
from model.snn.golden import first_divergence, random_network, run_network
from model.snn.layout import (
    pack_biases,
    pack_spikes,
    pack_weights,
    read_mem,
    unpack_biases,
    unpack_spikes,
    unpack_weights,
    write_mem,
)

# ---------------------------------------------------------------- layout


def test_weight_layout_by_hand():
    """W[j][i] = [[1, -1], [2, -2], [3, -3]], P = 2, q = 4: G = 2 words per input, lane p in bits [4p, 4p+4)."""
    w = np.array([[1, -1], [2, -2], [3, -3]])
    assert pack_weights(w, lanes=2, bits=4) == [0x21, 0x03, 0xEF, 0x0D]
    assert unpack_weights([0x21, 0x03, 0xEF, 0x0D], 3, 2, lanes=2, bits=4).tolist() == w.tolist()


def test_bias_and_spike_layout_by_hand():
    assert pack_biases(np.array([-1, 5, 7]), lanes=2, bits=6) == [0x05 << 6 | 0x3F, 0x07]
    assert pack_spikes(np.array([[1, 0, 0, 1, 1], [0, 0, 0, 0, 0]])) == [0b11001, 0]
    assert unpack_spikes([0b11001, 0], 5).tolist() == [[1, 0, 0, 1, 1], [0, 0, 0, 0, 0]]


@pytest.mark.parametrize("seed", range(12))
def test_pack_unpack_round_trip(seed):
    rng = np.random.default_rng(seed)
    bits = int(rng.integers(2, 33))
    lanes = int(rng.integers(1, 20))
    n_out, n_in = int(rng.integers(1, 40)), int(rng.integers(1, 10))
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    w = rng.integers(lo, hi + 1, (n_out, n_in))
    w[0, 0], w[-1, -1] = lo, hi
    words = pack_weights(w, lanes, bits)
    assert len(words) == n_in * -(-n_out // lanes)
    assert all(0 <= x < 1 << (lanes * bits) for x in words)
    assert np.array_equal(unpack_weights(words, n_out, n_in, lanes, bits), w)
    b = rng.integers(lo, hi + 1, n_out)
    assert np.array_equal(unpack_biases(pack_biases(b, lanes, bits), n_out, lanes, bits), b)


def test_mem_file_format(tmp_path):
    write_mem(tmp_path / "a.mem", [0x21, 0x3, 0x1EF], 9)
    assert (tmp_path / "a.mem").read_text() == "021\n003\n1ef\n"
    assert read_mem(tmp_path / "a.mem", 9, 3) == [0x21, 0x3, 0x1EF]
    (tmp_path / "c.mem").write_text("ff\n")
    with pytest.raises(UserError, match="does not fit its declared width of 7 bits"):
        read_mem(tmp_path / "c.mem", 7)
    with pytest.raises(UserError, match=r"line 1 \('021'\) has 3 hex digits, its width of 8 bits needs exactly 2"):
        read_mem(tmp_path / "a.mem", 8)
    (tmp_path / "b.mem").write_text("21\n003\n1ef\n")
    with pytest.raises(UserError, match="has 2 hex digits, its width of 9 bits needs exactly 3"):
        read_mem(tmp_path / "b.mem", 9)


def test_unpack_refuses_padding_and_wide_words():
    with pytest.raises(UserError, match="padding lanes"):
        unpack_weights([0x21, 0x53, 0xEF, 0x0D], 3, 2, lanes=2, bits=4)
    with pytest.raises(UserError, match="declared width"):
        unpack_biases([0x1FF], 2, lanes=2, bits=4)
    with pytest.raises(UserError, match="expected N_in"):
        unpack_weights([0x21], 3, 2, lanes=2, bits=4)


# ---------------------------------------------------------------- export / load round trip


@pytest.fixture
def exported(tmp_path):
    cfg = SnnConfig(
        sizes=(10, 21, 7), timesteps=12, weight_bits=6, membrane_bits=14, input_bits=5, lanes=4, leak_shift=4
    )
    net = random_network(cfg, seed=4, weight_scale=0.4, bias_scale=3)
    noise = np.random.default_rng(0).random((3, 10))
    noise[0] = 1.0
    path = export_network(net, tmp_path / "snn", noise, extra={"scale": np.float32(0.5), "lambdas": np.arange(3)})
    return net, noise, path


def test_export_load_round_trip(exported):
    net, noise, path = exported
    export = load(path)
    loaded, manifest = export.net, export.manifest
    assert loaded.config == net.config
    assert loaded.thresholds == list(net.thresholds)
    for a, b in zip(loaded.weights, net.weights):
        assert np.array_equal(a, b)
    for a, b in zip(loaded.biases, net.biases):
        assert np.array_equal(a, b)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["extra"] == {"scale": 0.5, "lambdas": [0, 1, 2]}
    assert manifest["config"]["rng_algorithm"] == "xorshift32-13-17-5"
    vectors = load(path.parent).vectors  # the directory works as well as the file
    assert [v.index for v in vectors] == [0, 1, 2]
    rerun = run_network(loaded, np.stack([v.spikes for v in vectors]))
    for n, v in enumerate(vectors):
        assert np.array_equal(v.noise_u, noise[n])
        assert first_divergence([None, None, v.out_spikes], [None, None, rerun.spikes[2][n]]) is None
        for l in (1, 2):
            assert np.array_equal(v.counts[l - 1], rerun.counts[l][n])
        assert np.array_equal(v.image, rerun.image[n])
    assert vectors[0].noise_x.tolist() == [32] * 10 and vectors[0].spikes.all()


def test_export_refuses_bad_arguments(tmp_path):
    net = random_network(SnnConfig(sizes=(4, 3), timesteps=3))
    with pytest.raises(UserError, match="JSON"):
        export_network(net, tmp_path, np.zeros((1, 4)), extra={"x": object()})
    with pytest.raises(UserError, match=r"shape \(n, 4\)"):
        export_network(net, tmp_path, np.zeros(4))


# ---------------------------------------------------------------- refusals


def _rewrite(path, name, text, rehash=True):
    """Replace an exported file; with ``rehash`` also fix its checksum, so only the content check can object."""
    target = path.parent / name
    target.write_text(text)
    if rehash:
        manifest = json.loads(path.read_text())
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        entries = [e for layer in manifest["layers"] for e in (layer["weights"], layer["bias"])]
        entries += [e for v in manifest["vectors"] for k, e in v.items() if isinstance(e, dict)]
        for entry in entries:
            if entry["file"] == name:
                entry["sha256"] = digest
        path.write_text(json.dumps(manifest))


def _edit_manifest(path, change):
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def test_refuses_unknown_format_version(exported):
    _, _, path = exported
    _edit_manifest(path, lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(UserError, match=f"format version {FORMAT_VERSION + 1}; this code reads version {FORMAT_VERSION}"):
        load(path)


def test_refuses_missing_manifest_and_bad_json(tmp_path, exported):
    _, _, path = exported
    with pytest.raises(UserError, match="no SNN manifest"):
        load(tmp_path / "nowhere")
    path.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        load(path)


def test_refuses_missing_file(exported):
    _, _, path = exported
    (path.parent / "vector1_expected.npz").unlink()
    with pytest.raises(UserError, match="vector 1: missing file"):
        load(path)
    (path.parent / "layer2_bias.mem").unlink()
    with pytest.raises(UserError, match="layer 2: missing file .*layer2_bias.mem"):
        load(path)


def test_refuses_a_version_1_manifest_with_the_fix(exported):
    """Version 1 had no neuron model or input coding in its configuration: re-export, not a KeyError."""
    _, _, path = exported
    _edit_manifest(path, lambda m: (m.update(format_version=1), m["config"].pop("neuron"), m["config"].pop("coding")))
    with pytest.raises(UserError, match="format version 1; this code reads version 2 only .*; re-export it with"):
        load(path)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m["config"].update(neuron="izhikevich"), "neuron 'izhikevich' is not one this version implements"),
        (lambda m: m["config"].update(coding="delta"), "coding 'delta' is not one this version implements"),
        (lambda m: m["config"].update(timesteps=None), "timesteps must be an integer, got None"),
        (lambda m: m["layers"][0]["weights"].pop("sha256"), "weights entry has no 'sha256'"),
        (lambda m: m["vectors"][0].pop("expected"), "vector 0 has no 'expected'"),
        (lambda m: m.pop("thresholds"), "'thresholds' is missing"),
    ],
)
def test_refuses_malformed_fields_by_name(exported, change, message):
    _, _, path = exported
    _edit_manifest(path, change)
    with pytest.raises(UserError, match=message):
        load(path)


def test_refuses_checksum_mismatch(exported):
    _, _, path = exported
    text = (path.parent / "layer1_weights.mem").read_text()
    _rewrite(path, "layer1_weights.mem", text.replace("0", "1", 1), rehash=False)
    with pytest.raises(UserError, match="checksum mismatch .*layer1_weights.mem"):
        load(path)


def test_refuses_word_wider_than_declared(exported):
    _, _, path = exported
    lines = (path.parent / "layer1_bias.mem").read_text().split()
    width_digits = len(lines[0])  # 4 lanes x 14 bits = 56 bits = 14 digits
    lines[0] = "1" + "0" * width_digits
    _rewrite(path, "layer1_bias.mem", "\n".join(lines) + "\n")
    with pytest.raises(UserError, match="layer 1: .*has 15 hex digits, its width of 56 bits needs exactly 14"):
        load(path)


def test_refuses_nonzero_padding_lane(exported):
    _, _, path = exported
    # layer 1 has 21 neurons in 6 groups of 4: lanes 1..3 of the last group (bits 6..23) are padding
    lines = (path.parent / "layer1_weights.mem").read_text().split()
    lines[5] = f"{int(lines[5], 16) | 1 << 12:06x}"
    _rewrite(path, "layer1_weights.mem", "\n".join(lines) + "\n")
    with pytest.raises(UserError, match="padding lanes"):
        load(path)


def test_refuses_wrong_depth_and_declared_shape(exported):
    _, _, path = exported
    lines = (path.parent / "layer2_weights.mem").read_text().split()
    _rewrite(path, "layer2_weights.mem", "\n".join(lines[:-1]) + "\n")
    with pytest.raises(UserError, match="the manifest declares"):
        load(path)
    _edit_manifest(path, lambda m: m["layers"][1]["weights"].update(width=99))
    with pytest.raises(UserError, match="configuration implies"):
        load(path)


def test_refuses_out_of_range_threshold_and_config(exported):
    _, _, path = exported
    _edit_manifest(path, lambda m: m["thresholds"].__setitem__(0, 2**13))
    with pytest.raises(UserError, match="threshold 8192 not in 1..8191"):
        load(path)
    _edit_manifest(path, lambda m: m["config"].update(reset="sideways"))
    with pytest.raises(UserError, match="reset must be one of"):
        load(path)


def test_refuses_noise_above_2_to_the_r(exported):
    _, _, path = exported
    lines = (path.parent / "vector2_noise.mem").read_text().split()
    lines[3] = f"{2**5 + 1:02x}"  # fits R + 1 = 6 bits but exceeds 2^R
    _rewrite(path, "vector2_noise.mem", "\n".join(lines) + "\n")
    with pytest.raises(UserError, match="vector 2: encoder input 33 exceeds 2\\^R = 32"):
        load(path)


def test_refuses_spike_rom_that_disagrees_with_the_encoder(exported):
    _, _, path = exported
    lines = (path.parent / "vector1_spikes.mem").read_text().split()
    lines[0] = f"{int(lines[0], 16) ^ 1:03x}"
    _rewrite(path, "vector1_spikes.mem", "\n".join(lines) + "\n")
    with pytest.raises(UserError, match="vector 1: the Spike ROM does not match"):
        load(path)


def test_a_configuration_says_itself_in_words():
    """One wording for every report and figure title; the leak as "none (IF)" or "V >> k"."""
    assert SnnConfig(sizes=(100, 64, 784), timesteps=32, lanes=16, coding="direct").describe() == (
        "100-64-784 network, direct coding, T = 32, 8-bit weights, 24-bit membranes, reset subtract, "
        "leak none (IF), P = 16 lanes")
    lif = SnnConfig(sizes=(4, 3), leak_shift=3, reset="zero").describe(lanes=False)
    assert lif.endswith("reset zero, leak V >> 3") and "lanes" not in lif
    ttfs = SnnConfig(sizes=(4, 3), timesteps=8, input_bits=4, neuron="ttfs", coding="ttfs", reset="floor")
    assert ttfs.describe().startswith("4-3 TTFS network, ttfs coding, T = 8")
