"""The bad-input corpus: every case through the command line exits non-zero with a message that names
what is wrong and how to fix it, and never with a traceback."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import sys
import types
from pathlib import Path

import nir
import numpy as np
import pytest
import torch

from model.common.errors import UserError
from model.snn.config import SnnConfig
from model.snn.export import export_network, load
from model.snn.golden import random_network
from spikegan.__main__ import main
from verify.flow import shipped_rtl
from verify.run_cli import failure


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A small valid export in ``weights/gan-mnist-fpga/snn`` of a temporary folder."""
    out = tmp_path_factory.mktemp("bad") / "weights" / "gan-mnist-fpga" / "snn"
    c = SnnConfig(sizes=(6, 5, 4), timesteps=8, weight_bits=6, membrane_bits=14, lanes=2)
    export_network(random_network(c, seed=1), out, np.random.default_rng(0).random((2, 6)))
    return out


def _copy(base: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "weights" / base.parent.name / "snn"
    shutil.copytree(base, dst)
    return dst


def _manifest(d: Path, change) -> None:
    m = json.loads((d / "manifest.json").read_text())
    change(m)
    (d / "manifest.json").write_text(json.dumps(m))


def _file(d: Path, name: str, change, entry=None) -> None:
    """Rewrite a memory file and (``entry``: a function of the manifest that returns its entry) its sha256."""
    p = d / name
    p.write_text(change(p.read_text()))
    if entry is not None:
        _manifest(d, lambda m: entry(m).update(sha256=hashlib.sha256(p.read_bytes()).hexdigest()))


def _weights(m):
    return m["layers"][0]["weights"]


MANIFEST_CASES = {
    "timesteps null": (lambda d: _manifest(d, lambda m: m["config"].update(timesteps=None)), "timesteps must be an integer"),
    "no sha256": (lambda d: _manifest(d, lambda m: _weights(m).pop("sha256")), "weights entry has no 'sha256'"),
    "no expected": (lambda d: _manifest(d, lambda m: m["vectors"][0].pop("expected")), "vector 0 has no 'expected'"),
    "unknown config field": (lambda d: _manifest(d, lambda m: m["config"].update(bogus=1)), "unknown field 'bogus'"),
    "vector index": (lambda d: _manifest(d, lambda m: m["vectors"][1].update(index="one")), "index 'one'"),
    "no layers": (lambda d: _manifest(d, lambda m: m.pop("layers")), "'layers' is missing"),
    "bad json": (lambda d: (d / "manifest.json").write_text("{"), "is not valid JSON"),
    "format version": (lambda d: _manifest(d, lambda m: m.update(format_version=9)), "format version 9"),
    "foreign file": (lambda d: (d / "manifest.json").write_text("[]"), "is not a spikegan-snn manifest"),
    "neuron": (lambda d: _manifest(d, lambda m: m["config"].update(neuron="izhikevich")), "neuron 'izhikevich'"),
    "threshold string": (lambda d: _manifest(d, lambda m: m.update(thresholds=["a", 5])), "thresholds must be integers"),
    "missing mem": (lambda d: (d / "layer1_weights.mem").unlink(), "missing file"),
    "checksum": (lambda d: _file(d, "layer1_bias.mem", lambda t: t.replace("0", "1", 1)), "checksum mismatch"),
    "short hex word": (lambda d: _file(d, "layer1_weights.mem", lambda t: t.split("\n", 1)[0][1:] + "\n" + t.split("\n", 1)[1],
                                       _weights), "has 2 hex digits, its width of 12 bits needs exactly 3"),
    "not hex": (lambda d: _file(d, "layer1_weights.mem", lambda t: "zzz" + t[3:], _weights), "is not a hex word"),
    "depth": (lambda d: _file(d, "layer1_weights.mem", lambda t: t + "000\n", _weights), "words, the manifest declares"),
    "wide word": (lambda d: _file(d, "layer2_weights.mem", lambda t: "f" + t, lambda m: m["layers"][1]["weights"]),
                  "has 4 hex digits"),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_a_bad_export_exits_2_with_its_fix(case, base, tmp_path, capsys):
    break_it, message = MANIFEST_CASES[case]
    d = _copy(base, tmp_path)
    break_it(d)
    assert main(["rtl", "--manifest", str(d), "--out", str(tmp_path / "rtl"), "--no-lint"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ")
    if message:
        assert message in err
    if case not in ("foreign file", "bad json", "format version"):
        assert "make convert-fpga" in err or "make convert" not in err  # the hint names this network's target


def test_the_hint_names_the_target_that_made_the_network(base, tmp_path, capsys):
    for folder, target in (("gan-mnist-fpga", "make convert-fpga"), ("gan-mnist-ice40", "make convert-ice40"),
                           ("gan-mnist", "make convert"), ("ttfs-mnist", "make ttfs"), ("nir-mnist", "make nir")):
        d = tmp_path / folder / "weights" / folder / "snn"
        shutil.copytree(base, d)
        (d / "layer1_bias.mem").unlink()
        assert main(["rtl", "--manifest", str(d), "--out", str(tmp_path / "rtl"), "--no-lint"]) == 2
        assert f"re-export it with `{target}`" in capsys.readouterr().err, folder


CLI_CASES = {
    "hidden abc": (["train", "--hidden", "abc"], "--hidden takes"),
    "hidden empty item": (["train", "--hidden", "40,,3"], "--hidden takes"),
    "unknown command": (["nonsense"], "unknown command"),
    "bad sim": (["verify", "--sim", "modelsim"], "invalid choice"),
    "no checkpoint": (["convert", "--checkpoint", "{tmp}/none.pt"], "no generator checkpoint"),
    "corrupt checkpoint": (["convert", "--checkpoint", "{tmp}/bad.pt"], "bad.pt is not a PyTorch checkpoint"),
    "vectors 0": (["convert", "--checkpoint", "{tmp}/bad.pt", "--vectors", "0"], "--vectors must be >= 1"),
    "no manifest": (["verify", "--manifest", "{tmp}/nothing"], "no SNN manifest"),
    "no nir file": (["import", "{tmp}/none.nir"], "no NIR file"),
    "corrupt nir": (["import", "{tmp}/bad.nir"], "is not a readable NIR graph"),
    "unknown source kind": (["import", "{tmp}/bad.onnx"], "unknown kind of file"),
    "empty data dir": (["train", "--data-dir", "{tmp}", "--updates", "1", "--out", "{tmp}/run"], "no mnist train IDX files"),
    "ttfs batch 0": (["ttfs", "--batch", "0"], "--batch must be >= 1"),
    "unknown option": (["ttfs", "--timesteps", "0"], "unrecognized arguments"),
    "inputs out of range": (["import", "{tmp}/g.nir", "--inputs", "{tmp}/x.npy"], "must lie in [0, 1]"),
    "text as checkpoint": (["convert", "--checkpoint", "{tmp}/notes.txt"], "notes.txt is not a PyTorch checkpoint"),
    "pickle as checkpoint": (["convert", "--checkpoint", "{tmp}/pickled.pt"], "pickled.pt is not a PyTorch checkpoint"),
    "garbage torch file": (["import", "{tmp}/garbage.pt"], "garbage.pt is not a file torch.save wrote"),
    "text as npy images": (["metrics", "score", "--images-file", "{tmp}/bad.npy"], "bad.npy is not a .npy array"),
    "text as pt images": (["metrics", "score", "--images-file", "{tmp}/garbage.pt"], "garbage.pt is not a tensor file"),
    "objects as npy images": (["metrics", "score", "--images-file", "{tmp}/objects.npy"], "objects.npy holds Python objects"),
    "text as npy inputs": (["import", "{tmp}/g.nir", "--inputs", "{tmp}/bad.npy"], "bad.npy is not a .npy array"),
    "images without labels": (["train", "--data-dir", "{tmp}/idx", "--updates", "1", "--out", "{tmp}/run"],
                              "has train-images-idx3-ubyte but not train-labels-idx1-ubyte"),
}

# Words that mislead in a message about the user's file: a library's advice meant for its own API, a parser's
# internals, or an instruction to delete what the user gave.
MISLEADING = ("Traceback", "weights_only", "allow_pickle", "invalid literal", "could not convert", "delete it",
              "python -m", "{}")


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_a_bad_argument_or_file_exits_non_zero_with_a_message(case, tmp_path, capsys):
    argv, message = CLI_CASES[case]
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    (tmp_path / "bad.nir").write_bytes(b"not hdf5")
    (tmp_path / "bad.onnx").write_bytes(b"x")
    np.save(tmp_path / "x.npy", np.full((2, 4), 2.0))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "bad.npy").write_text("hello\n")
    (tmp_path / "notes.txt").write_text("meeting notes\n")
    (tmp_path / "pickled.pt").write_bytes(pickle.dumps({"a": object()}, protocol=2))
    (tmp_path / "garbage.pt").write_text("I am not a model\n")
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x03" + b"\0" * 12)
    nir.write(tmp_path / "g.nir", nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([4])), "fc": nir.Affine(weight=np.ones((3, 4)), bias=np.zeros(3)),
        "n": nir.IF(r=np.ones(3), v_threshold=np.ones(3), v_reset=np.zeros(3)),
        "output": nir.Output(output_type=np.array([3]))}, edges=[("input", "fc"), ("fc", "n"), ("n", "output")]))
    argv = [a.format(tmp=tmp_path) for a in argv]
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse's own exit for a malformed option
        rc = e.code
    assert rc == 2
    out = capsys.readouterr()
    for words in MISLEADING:
        assert words not in out.err, out.err
    if message:
        assert message in out.err


def test_a_pickled_module_whose_code_is_gone_asks_for_its_state_dict(tmp_path, monkeypatch, capsys):
    gone = types.ModuleType("gone_net")
    gone.Net = type("Net", (torch.nn.Sequential,), {"__module__": "gone_net"})
    monkeypatch.setitem(sys.modules, "gone_net", gone)
    torch.save(gone.Net(torch.nn.Linear(4, 3), torch.nn.ReLU()), tmp_path / "net.pt")
    monkeypatch.delitem(sys.modules, "gone_net")
    assert main(["import", str(tmp_path / "net.pt"), "--out", str(tmp_path / "snn")]) == 2
    err = capsys.readouterr().err
    assert "pickles a module whose code is not importable here" in err and "state_dict()" in err


def test_nir_refuses_a_direct_coded_generator_before_it_trains(tmp_path, capsys):
    """Layer 1 of a direct-coded network takes no spikes: the peers would agree on nothing but the biases."""
    c = SnnConfig(sizes=(6, 5, 4), timesteps=8, weight_bits=6, membrane_bits=20, lanes=2, coding="direct")
    export_network(random_network(c, seed=1), tmp_path / "snn", np.random.default_rng(0).random((2, 6)))
    assert main(["nir", "--manifest", str(tmp_path / "snn" / "manifest.json"), "--out", str(tmp_path / "r")]) == 2
    assert "is direct-coded" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_a_missing_rtl_folder_says_how_to_write_it(base, tmp_path):
    with pytest.raises(UserError) as e:
        shipped_rtl(tmp_path / "nortl", load(base), None)
    assert f"spikegan rtl --manifest {load(base).path} --out {tmp_path / 'nortl'}" in str(e.value)
    assert "make rtl" not in str(e.value) and "python -m" not in str(e.value)


def test_a_failure_names_where_it_diverged_only_when_it_knows():
    assert failure({"text": "the shipped RTL differs: layer1_weights.mem"}) == "the shipped RTL differs: layer1_weights.mem"
    assert failure({"text": "counts differ", "vector": 0, "layer": 2, "neuron": 5, "step": None}) == \
        "counts differ; first divergence: vector 0, layer 2, neuron 5"


def test_a_single_hidden_layer_can_be_asked_for():
    from model.gan.config import parse_hidden

    assert parse_hidden("40,") == (40,) and parse_hidden("64") == (64, 64) and parse_hidden("256,128") == (256, 128)
