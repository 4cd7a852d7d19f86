"""The Python API calls the commands' code: on a tiny run made as ``make all`` makes one, each stage writes what
its command writes, takes its defaults, and refuses bad input with its message."""

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.common import threads
from model.common.cli import parser_for
from model.common.errors import UserError
from model.interop.imported import Imported
from model.snn.config import CODINGS, TTFS, SnnConfig
from model.snn.export import export_network
from model.snn.golden import decode_image, encode_noise, random_network, run_noise
from spikegan import api
from spikegan.__main__ import main
from spikegan.commands import COMMANDS

README = Path(__file__).resolve().parent.parent / "README.md"
DOCS = README.parent / "docs"
CONVERT = ["--timesteps", "8", "--vectors", "2", "--calib", "64", "--images", "8", "--no-report"]


@pytest.fixture(scope="module")
def made(tmp_path_factory, mnist_files):
    """A folder holding what ``make all`` makes, tiny: a 100-16-16-784 GAN trained on synthetic digits in
    ``weights/gan-mnist`` and its default export (exact TTFS, here at T = 8) in ``weights/gan-mnist/snn``."""
    root = tmp_path_factory.mktemp("made")
    run = root / "weights" / "gan-mnist"
    data = mnist_files(root / "data")
    with threads.one_thread():  # a tiny network trains fastest on one thread
        assert main(["train", "--data-dir", str(data), "--hidden", "16", "--batch", "20", "--updates", "20",
                     "--no-metrics", "--out", str(run)]) == 0
        assert main(["convert", "--checkpoint", str(run / "checkpoint.pt"), *CONVERT]) == 0
    return root


def _files(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _tiny_export(folder, **fields):
    config = SnnConfig(sizes=(6, 5, 16), timesteps=8, lanes=2, **fields)
    net = random_network(config, seed=1, weight_scale=0.5, bias_scale=0 if config.neuron == "ttfs" else 3)
    return api.load(export_network(net, folder, np.random.default_rng(0).random((2, 6))))


def _parse(command: str, argv=()):
    parser = parser_for(command, "")
    importlib.import_module(COMMANDS[command][0]).add_arguments(parser)
    return parser.parse_args(list(argv))


def _defaults(function) -> dict:
    return {k: p.default for k, p in inspect.signature(function).parameters.items()}


@pytest.mark.parametrize("coding", CODINGS)
def test_simulate_runs_every_coding_as_the_golden_model_does(coding, tmp_path):
    fields = TTFS if coding == "ttfs" else {"coding": coding}
    config = SnnConfig(sizes=(6, 5, 4), timesteps=16, lanes=2, **fields)
    net = random_network(config, seed=1, weight_scale=0.5, bias_scale=0 if coding == "ttfs" else 3)
    noise = np.random.default_rng(0).random((3, 6))
    export = api.load(export_network(net, tmp_path / "snn", noise[:1]))
    result = api.simulate(export, noise)
    expected = run_noise(export.net, encode_noise(noise, config))
    assert np.array_equal(result.counts[-1], expected.counts[-1])
    assert all(np.array_equal(a, b) for a, b in zip(result.spikes, expected.spikes))


def test_convert_and_export_write_what_spikegan_convert_writes(made, tmp_path):
    checkpoint = made / "weights" / "gan-mnist" / "checkpoint.pt"
    conversion = api.convert(checkpoint, timesteps=8, vectors=2, calib=64, images=8)
    assert conversion.config.neuron == "ramp" and conversion.config.sizes == (100, 16, 16, 784)
    export = api.export(conversion, tmp_path / "snn")
    assert _files(export.path.parent) == _files(made / "weights" / "gan-mnist" / "snn")
    paper = api.convert(checkpoint, paper=True, calib=64, lanes=8)
    assert (paper.config.coding, paper.config.timesteps, paper.config.lanes) == ("bernoulli", 64, 8)
    rate = api.convert(checkpoint, neuron="rate", calib=64)
    assert (rate.config.neuron, rate.config.coding, rate.config.timesteps) == ("rate", "direct", 32)
    assert api.load_generator(checkpoint).affine_layers()[0][0].shape == (16, 100)


def test_convert_names_a_config_field_it_does_not_know(made):
    with pytest.raises(UserError, match="no SnnConfig field 'timestep'.*timesteps"):
        api.convert(made / "weights" / "gan-mnist" / "checkpoint.pt", calib=64, timestep=16)


def test_export_takes_the_inputs_an_imported_network_needs(made, tmp_path):
    conversion = api.convert(made / "weights" / "gan-mnist" / "checkpoint.pt", calib=64)
    with pytest.raises(UserError, match="vectors=N"):
        api.export(conversion, tmp_path, inputs=np.zeros((1, 100)))
    imported = Imported(random_network(SnnConfig(sizes=(6, 5, 4), timesteps=8, lanes=2), seed=1), {"kind": "test"})
    with pytest.raises(UserError, match="needs out_dir and inputs"):
        api.export(imported, tmp_path)
    assert len(api.export(imported, tmp_path / "snn", np.full((1, 6), 0.5)).vectors) == 1


def test_images_are_the_golden_models_image_of_the_output_trains(made, tmp_path):
    export = api.load(made / "weights" / "gan-mnist" / "snn" / "manifest.json")
    result = api.simulate(export, np.random.default_rng(1).random((3, 100)))
    images = api.images(result)
    assert images.shape == (3, 28, 28)
    assert np.array_equal(images.reshape(3, -1), decode_image(export.config, result.spikes[-1]))
    grid = Image.open(api.save_images(result, tmp_path / "grid.png", "three images", nrow=3))
    assert grid.width == (3 * 30 + 2) * 2 and grid.height > (30 + 2) * 2  # 28 x 28 images 2 pixels apart, x 2, a title
    assert grid.text["Title"] == "three images"
    assert api.images(api.simulate(export, np.full(100, 0.5))).shape == (1, 28, 28)


def test_images_of_a_ttfs_generator_are_its_first_spike_times_and_a_classifier_has_none(tmp_path):
    export = _tiny_export(tmp_path / "ttfs", **TTFS)
    result = api.simulate(export, np.random.default_rng(2).random((2, 6)))
    assert np.array_equal(api.images(result).reshape(2, 16), decode_image(export.config, result.spikes[-1]))
    classifier = api.load(export_network(random_network(SnnConfig(sizes=(6, 5, 10), timesteps=8, lanes=2), seed=1),
                                         tmp_path / "cls", np.zeros((1, 6))))
    with pytest.raises(UserError, match="not a square image"):
        api.images(api.simulate(classifier, np.zeros((1, 6))))


def test_build_rtl_writes_what_spikegan_rtl_writes(tmp_path):
    export = _tiny_export(tmp_path / "snn")
    rtl = api.build_rtl(export.with_lanes(4), tmp_path / "api", lint=False)
    assert main(["rtl", "--manifest", str(export.path), "--lanes", "4", "--no-lint", "--out", str(tmp_path / "cli")]) == 0
    assert _files(rtl.out_dir) == _files(tmp_path / "cli") and rtl.sources and rtl.mem_files


def test_synthesise_runs_spikegan_synths_flow(tmp_path):
    export = _tiny_export(tmp_path / "snn")
    report = api.synthesise(export.with_lanes(4), targets=["vivado"], out_dir=tmp_path / "api")
    assert main(["synth", "--manifest", str(export.path), "--targets", "vivado", "--out", str(tmp_path / "cli")]) == 0
    command = json.loads((tmp_path / "cli" / "synth_report.json").read_text())
    assert report["config"]["lanes"] == 4 and command["config"]["lanes"] == 2  # the export's lanes reach the flow
    assert {k: v for k, v in report.items() if k not in ("seconds", "machine", "targets", "config")} \
        == {k: v for k, v in command.items() if k not in ("seconds", "machine", "targets", "config")}
    assert (tmp_path / "api" / "synth_report.md").is_file() and (tmp_path / "api" / "vivado" / "build.tcl").is_file()


@pytest.mark.sim
@pytest.mark.slow
def test_verify_proves_an_export_bit_exact_on_icarus(tmp_path):
    export = _tiny_export(tmp_path / "snn")
    report = api.verify(export.with_lanes(4), sim="icarus", vectors=1, out_dir=tmp_path / "verify",
                        build_root=tmp_path / "sim_builds", vcd=False, directed=False)
    assert report["ok"] and report["config"]["lanes"] == 4 and len(report["images"]) == 1
    assert json.loads((tmp_path / "verify" / "report.json").read_text())["ok"]


def test_the_api_defaults_are_the_commands():
    convert, rtl, verify = (_parse(c) for c in ("convert", "rtl", "verify"))
    synth = _parse("synth", ["--manifest", "m.json"])
    d = _defaults(api.convert)
    assert (d["checkpoint"], d["normalisation"], d["round_offset"], d["vectors"], d["calib"], d["images"], d["seed"],
            d["paper"], d["neuron"]) == (convert.checkpoint, convert.norm, not convert.no_round_offset, convert.vectors,
                                         convert.calib, convert.images, convert.seed, convert.paper, convert.neuron)
    assert _defaults(api.load_generator)["checkpoint"] == convert.checkpoint
    assert _defaults(api.load)["manifest"] == rtl.manifest == verify.manifest
    d = _defaults(api.build_rtl)
    assert (d["export"], d["out_dir"], d["lanes"], d["lint"]) == (rtl.manifest, rtl.out, rtl.lanes, not rtl.no_lint)
    d = _defaults(api.verify)
    assert (d["export"], d["sim"], d["vectors"], d["lanes"]) == (verify.manifest, verify.sim, verify.vectors,
                                                                  verify.lanes)
    assert ",".join(_defaults(api.synthesise)["targets"]) == synth.targets
    from hw.synth_report import synth_report

    d = _defaults(synth_report)
    assert (d["ecp5_part"], d["ecp5_speed"], d["ice40_part"]) == (synth.ecp5_part, synth.ecp5_speed, synth.ice40_part)


@pytest.mark.parametrize("call, argv", [
    (lambda tmp: api.convert(tmp / "none.pt"), ["convert", "--checkpoint", "{tmp}/none.pt"]),
    (lambda tmp: api.load_generator(tmp / "none.pt"), ["convert", "--checkpoint", "{tmp}/none.pt"]),
    (lambda tmp: api.load(tmp / "none"), ["rtl", "--manifest", "{tmp}/none"]),
    (lambda tmp: api.simulate(tmp / "none", np.zeros((1, 100))), ["rtl", "--manifest", "{tmp}/none"]),
    (lambda tmp: api.build_rtl(tmp / "none"), ["rtl", "--manifest", "{tmp}/none"]),
    (lambda tmp: api.verify(tmp / "none", sim="icarus"), ["verify", "--manifest", "{tmp}/none", "--sim", "icarus"]),
    (lambda tmp: api.synthesise(tmp / "none.json"), ["synth", "--manifest", "{tmp}/none.json"]),
    (lambda tmp: api.synthesise(tmp, targets=["xc9"]), ["synth", "--manifest", "{tmp}", "--targets", "xc9"]),
], ids=["convert", "load_generator", "load", "simulate", "build_rtl", "verify", "synthesise", "synth target"])
def test_bad_input_gets_the_commands_message(call, argv, tmp_path, capsys):
    with pytest.raises(UserError) as raised:
        call(tmp_path)
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert capsys.readouterr().err.strip() == f"error: {raised.value}"


def _between(path: Path, name: str) -> str | None:
    """The text of ``path`` between ``<!-- name:begin -->`` and ``<!-- name:end -->``, None without the markers."""
    m = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", path.read_text(), re.S)
    return m and m.group(1)


def _python(text: str) -> str:
    """The ``python`` blocks of a Markdown text, one after another."""
    return "".join(re.findall(r"```python\n(.*?)```", text, re.S))


def gan_example() -> str:
    """The GAN example of docs/api.md, checked to be the same wherever else it is shown."""
    copies = {path.name: _between(path, "gan-example") for path in [README, *DOCS.glob("*.md")]}
    copies = {name: text for name, text in copies.items() if text is not None}
    assert "api.md" in copies, "docs/api.md has no GAN example between the gan-example markers"
    assert len(set(copies.values())) == 1, f"the copies of the GAN example differ: {sorted(copies)}"
    return _python(copies["api.md"])


def _run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    (cwd / "example.py").write_text(code)
    env = os.environ | {"PYTHONPATH": str(README.parent)}
    done = subprocess.run([sys.executable, "example.py"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_gan_example_runs_as_written_on_the_default_export(made):
    done = _run_python(gan_example(), made)
    assert "output spikes per image:" in done.stdout
    grid = Image.open(made / "samples.png")
    assert grid.width == (4 * 30 + 2) * 2  # 16 images of 28 x 28, 4 to a row, 2 pixels apart, scaled by 2
    assert grid.height > grid.width and "fresh noise" in grid.text["Title"]


@pytest.mark.sim
@pytest.mark.slow
def test_the_pages_stage_examples_run_as_written_after_make_all(made):
    done = _run_python(_python(_between(DOCS / "api.md", "api-stages")), made)
    assert "bit-exact: True" in done.stdout
    assert json.loads((made / "my-run" / "verify-icarus" / "report.json").read_text())["ok"]
    assert (made / "my-run" / "samples.png").is_file() and (made / "my-run" / "synth" / "vivado" / "build.tcl").is_file()
