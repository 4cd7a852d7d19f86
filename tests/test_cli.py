"""The one command line: every stage behind ``spikegan``, one name per concept, every default in ``--help``."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import types

import numpy as np
import pytest

from hw.__main__ import COMMANDS as HW_COMMANDS
from model.__main__ import COMMANDS as MODEL_COMMANDS
from model.common.cli import command_parser, help_with_default, run_command, shown
from model.common.errors import UserError
from model.common.options import DEFAULT_MANIFEST, DEFAULT_SIM, OUTPUT_FOLDERS
from model.snn.config import SnnConfig
from model.snn.export import export_network
from model.snn.golden import random_network
from spikegan.__main__ import main
from spikegan.commands import COMMANDS
from verify.__main__ import COMMANDS as VERIFY_COMMANDS
from verify.sim import SIMULATORS

STAGES = ("data", "train", "convert", "rtl", "verify", "sweep-cycles", "synth", "sweep-synth", "memristor",
          "memristor-rtl", "demo", "report", "import", "export-nir", "nir")


def parsers() -> dict[str, argparse.ArgumentParser]:
    return {name: command_parser("spikegan", COMMANDS, name) for name in COMMANDS}


def options(parser: argparse.ArgumentParser):
    """Every optional action of a parser and of its sub-commands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from options(sub)
        elif action.option_strings and action.dest != "help":
            yield action


def test_every_stage_is_a_spikegan_command(capsys):
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    for stage in STAGES:
        assert stage in COMMANDS and f"  {stage} " in listed


def test_package_commands_are_the_same_modules():
    """``python -m model|hw|verify`` offer every one of their commands through spikegan too."""
    entries = set(COMMANDS.values())
    for registry in (MODEL_COMMANDS, HW_COMMANDS, VERIFY_COMMANDS):
        assert set(registry.values()) <= entries


def help_text(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_shows_every_default(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapped lines
    parser = parsers()[name]
    text = help_text([name], capsys)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            text += "".join(help_text([name, sub], capsys) for sub in action.choices)
    for action in options(parser):
        if action.default is not None and action.default is not False:
            assert f"(default: {shown(action.default)})" in text, \
                f"spikegan {name}: the default of {action.option_strings[0]} is not shown"


def test_defaults_are_shown_one_way_at_the_end_of_every_option_that_takes_a_value():
    for name, parser in parsers().items():
        for action in options(parser):
            text = help_with_default(action)
            where = f"spikegan {name} {action.option_strings[0]}: {text!r}"
            if action.nargs == 0 or action.required:  # a flag, or an option without a default
                assert "default" not in text, where
                continue
            assert text.count("default") == 1 and text.endswith(")"), where
            assert text[text.index("(default: "):].count("(") == 1, where


def test_tuples_and_floats_are_shown_as_they_are_typed():
    assert shown((0.0, 8.0)) == "0 8" and shown([1, 4]) == "1 4"
    assert shown(2e-4) == "0.0002" and shown(1.0) == "1" and shown(0.25) == "0.25"
    assert shown("reports/demo") == "reports/demo" and shown(16) == "16"


def by_option() -> dict[str, list[tuple[str, argparse.Action]]]:
    """Every option name: the commands that take it, with its action there."""
    found: dict[str, list[tuple[str, argparse.Action]]] = {}
    for name, parser in parsers().items():
        for action in options(parser):
            for flag in action.option_strings:
                found.setdefault(flag, []).append((name, action))
    return found


def test_every_manifest_defaults_to_the_default_run():
    """But where the default run cannot serve: mutate's default is a small random design made for mutation
    testing, and nir's a spike-coded generator (the default run is direct-coded: no input spikes to compare)."""
    for name, action in by_option()["--manifest"]:
        if name == "mutate":
            assert action.default is None and "random" in action.help
        elif name == "nir":
            assert action.default == "weights/gan-mnist-fpga/snn/manifest.json" and "direct-coded" in action.help
        else:
            assert action.default == DEFAULT_MANIFEST, f"spikegan {name} --manifest defaults to {action.default}"


def test_one_simulator_default_and_one_reset_default():
    assert DEFAULT_SIM == "verilator"
    for name, action in by_option()["--sim"]:
        assert action.default == DEFAULT_SIM, f"spikegan {name} --sim defaults to {action.default}"
    for name, action in by_option()["--reset"]:
        assert help_with_default(action).endswith("subtract)"), f"spikegan {name} --reset: {action.help}"


def test_every_dataset_option_defaults_to_mnist():
    for name, action in by_option()["--dataset"]:
        assert help_with_default(action).endswith("(default: mnist)"), f"spikegan {name} --dataset: {action.help}"


# Every command's default output folder: networks under weights/<run>, RTL under build/rtl/<run>,
# reports under reports/<command> (OUTPUT_FOLDERS, in every --help that has an --out).
DEFAULT_OUT = {
    "demo": "reports/demo", "train": "weights/gan-<dataset>", "convert": "<checkpoint folder>/snn",
    "pareto": "reports/pareto", "import": "weights/imported/<source name>/snn",
    "export-nir": "network.nir in the export's folder", "nir": "reports/nir", "rtl": "build/rtl/<run>",
    "verify": "reports/verify-<sim>", "sweep-cycles": "reports/sweep-cycles", "synth": "reports/synth",
    "sweep-synth": "reports/sweep-synth", "regress": "reports/regress", "mutate": "reports/mutate",
    "memristor": "weights/memristor", "memristor-rtl": "reports/memristor-rtl", "ttfs": "reports/ttfs",
    "hybrid": "reports/hybrid", "report": "reports",
}


@pytest.mark.parametrize("name", sorted(DEFAULT_OUT))
def test_every_output_folder_follows_the_one_scheme_stated_in_help(name, capsys, monkeypatch):
    (action,) = [a for n, a in by_option()["--out"] if n == name]
    assert help_with_default(action).endswith(f"(default: {DEFAULT_OUT[name]})")
    monkeypatch.setenv("COLUMNS", "1000")
    assert OUTPUT_FOLDERS in help_text([name], capsys)


def test_the_rtl_goes_to_build_rtl_and_the_name_of_its_run(tmp_path, monkeypatch):
    c = SnnConfig(sizes=(6, 5, 4), timesteps=8, weight_bits=6, membrane_bits=14, lanes=2)
    export_network(random_network(c, seed=1), tmp_path / "weights" / "gan-x" / "snn", np.zeros((1, 6)))
    monkeypatch.chdir(tmp_path)
    assert main(["rtl", "--manifest", "weights/gan-x/snn/manifest.json", "--no-lint"]) == 0
    assert (tmp_path / "build" / "rtl" / "gan-x" / "rtl.json").is_file()


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"spikegan {importlib.metadata.version('spikegan')}\n"


def test_a_mistyped_command_gets_a_suggestion_not_the_whole_help(capsys):
    assert main(["trian"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'trian'; did you mean 'train'?" in err and "commands:" not in err
    assert "spikegan --help" in err


def test_one_name_per_concept():
    by_flag = by_option()
    assert "--simulator" not in by_flag and "--images-per-p" not in by_flag
    for name, action in by_flag["--sim"]:
        assert tuple(action.choices) == SIMULATORS, name
    for name, action in by_flag["--seed"]:
        assert action.default in (0, None), f"{name}: --seed defaults to {action.default}"  # None: the config's (0)
    for name, action in by_flag["--dataset"]:
        if name == "hybrid":  # a comma list, CIFAR-10 included
            assert "mnist, fashion, cifar10" in action.help
            continue
        assert set(action.choices) <= {"mnist", "fashion", "cifar10", "all"}, name  # one name per dataset
    for name, action in by_flag["--lanes"]:
        assert action.type is int, f"{name}: --lanes is one lane count"
    assert {name for name, _ in by_flag["--sweep-lanes"]} == {"sweep-cycles", "sweep-synth"}
    assert {name for name, _ in by_flag["--vectors"]} >= {"verify", "sweep-cycles", "convert"}
    assert {name for name, _ in by_flag["--images"]} == {"convert", "ttfs", "nir", "hybrid", "board"}  # generated images; never vectors or files


def test_unknown_command_and_bad_option(capsys):
    assert main(["nonsense"]) == 2
    assert "unknown command 'nonsense'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--images", "3"])
    assert exit_.value.code == 2
    assert main([]) == 2


def test_run_command_runs_one_registered_command_as_the_command_line_does(monkeypatch):
    """Its exit status comes back and a `UserError` is raised, for the caller (the demo) to stop on."""
    command = types.ModuleType("fake_command")
    command.add_arguments = lambda parser: parser.add_argument("--code", type=int, default=0)

    def run(args):
        if args.code < 0:
            raise UserError("negative")
        return args.code

    command.run = run
    monkeypatch.setitem(sys.modules, "fake_command", command)
    registry = {"fake": ("fake_command", "a command for this test")}
    assert run_command("prog", registry, "fake", ["--code", "3"]) == 3
    with pytest.raises(UserError, match="negative"):
        run_command("prog", registry, "fake", ["--code", "-1"])


def test_the_demo_runs_every_stage_as_a_spikegan_command(tmp_path):
    from spikegan.demo import stages

    args = parsers()["demo"].parse_args(["--data-dir", str(tmp_path / "data")])
    commands = [(name, command) for name, command, _ in stages(tmp_path, args)]
    assert commands == [("train", "train"), ("convert", "convert"), ("rtl", "rtl"),
                        ("verify (verilator)", "verify"), ("verify (icarus)", "verify")]
    for _, command, argv in stages(tmp_path, args):
        parsers()[command].parse_args(argv)  # every stage's options are its command's


def test_the_demo_never_empties_a_folder_it_did_not_make(tmp_path, capsys):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("months of work")
    assert main(["demo", "--out", str(mine)]) == 2
    assert (mine / "chapter1.tex").read_text() == "months of work"
    assert "spikegan demo did not make" in capsys.readouterr().err
