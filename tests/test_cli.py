"""The one command line: every stage behind ``spikegan``, one name per concept, every default in ``--help``."""

from __future__ import annotations

import argparse
import importlib
import sys
import types

import pytest

from hw.__main__ import COMMANDS as HW_COMMANDS
from model.__main__ import COMMANDS as MODEL_COMMANDS
from model.common.cli import parser_for, run_command
from model.common.errors import UserError
from spikegan.__main__ import main
from spikegan.commands import COMMANDS
from verify.__main__ import COMMANDS as VERIFY_COMMANDS
from verify.sim import SIMULATORS

STAGES = ("data", "train", "convert", "rtl", "verify", "sweep-cycles", "synth", "sweep-synth", "memristor",
          "memristor-rtl", "demo", "report", "import", "export-nir", "nir")


def parsers() -> dict[str, argparse.ArgumentParser]:
    out = {}
    for name, (module, help_text) in COMMANDS.items():
        p = parser_for(f"spikegan {name}", help_text)
        importlib.import_module(module).add_arguments(p)
        out[name] = p
    return out


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
            assert str(action.default) in text, f"spikegan {name}: the default of {action.option_strings[0]} is not shown"


def test_one_name_per_concept():
    by_option: dict[str, list[tuple[str, argparse.Action]]] = {}
    for name, parser in parsers().items():
        for action in options(parser):
            for flag in action.option_strings:
                by_option.setdefault(flag, []).append((name, action))
    assert "--simulator" not in by_option and "--images-per-p" not in by_option
    for name, action in by_option["--sim"]:
        assert tuple(action.choices) == SIMULATORS, name
    for name, action in by_option["--seed"]:
        assert action.default in (0, None), f"{name}: --seed defaults to {action.default}"  # None: the config's (0)
    for name, action in by_option["--dataset"]:
        if name == "hybrid":  # a comma list, CIFAR-10 included
            assert "mnist, fashion, cifar10" in action.help
            continue
        assert set(action.choices) <= {"mnist", "fashion", "cifar10", "all"}, name  # one name per dataset
    for name, action in by_option["--lanes"]:
        assert action.type is int, f"{name}: --lanes is one lane count"
    assert {name for name, _ in by_option["--sweep-lanes"]} == {"sweep-cycles", "sweep-synth"}
    assert {name for name, _ in by_option["--vectors"]} >= {"verify", "sweep-cycles", "convert"}
    assert {name for name, _ in by_option["--images"]} == {"convert", "ttfs", "nir", "hybrid"}  # generated images; never vectors or files


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
