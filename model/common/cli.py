"""One command-line shape for every entry point: ``<prog> <command> [options]`` over command modules.

A command module provides ``add_arguments(parser)`` and ``run(args)``; only
the chosen command's module is imported. Every option that takes a value shows
its default one way, ``(default: X)`` at the end of its help (`HelpFormatter`),
and every command with an ``--out`` states the one scheme of output folders
(`model.common.options.OUTPUT_FOLDERS`). A :class:`~model.common.errors.UserError`
becomes a one-line message and exit status 2, never a bare traceback; a
mistyped command gets a suggestion. ``python -m model``, ``python -m hw``,
``python -m verify`` and ``spikegan`` (every stage) are all built with `main`;
`run_command` runs one command by name, as ``spikegan demo`` runs its stages.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import importlib.metadata
import sys
import textwrap

from model.common.errors import run_cli
from model.common.options import OUTPUT_FOLDERS

DISTRIBUTION = "spikegan"  # the installed package whose version ``--version`` prints (pyproject.toml)


def shown(value) -> str:
    """A default as it would be typed: a sequence as its items with spaces, a float without trailing zeros."""
    if isinstance(value, (list, tuple)):
        return " ".join(shown(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def help_with_default(action: argparse.Action) -> str:
    """An option's help ending in ``(default: X)``: the help's own words for it, else its value; a flag, a
    positional argument, a required option and an option without a default (None) get none."""
    text = action.help or ""
    if "(default: " in text or not action.option_strings or action.nargs == 0 or action.required \
            or action.default is None or action.default is argparse.SUPPRESS:
        return text
    return f"{text} (default: {shown(action.default)})"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's default shown one way, by `help_with_default`."""

    def _get_help_string(self, action):
        return help_with_default(action)


def parser_for(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)


def command_parser(prog: str, commands: dict[str, tuple[str, str]], name: str) -> argparse.ArgumentParser:
    """The parser of command ``name`` (its module imported), with the output-folder scheme if it writes one."""
    module_name, help_text = commands[name]
    parser = parser_for(f"{prog} {name}", help_text)
    importlib.import_module(module_name).add_arguments(parser)
    if any(action.dest == "out" for action in parser._actions):
        parser.epilog = OUTPUT_FOLDERS
    return parser


def version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed: run `make setup` or `pip install -e .`)"


def usage(prog: str, commands: dict[str, tuple[str, str]], about: str = "") -> str:
    width = max(len(name) for name in commands) + 2
    lines = [f"usage: {prog} <command> [options]   ({prog} <command> --help for its options; {prog} --version)", ""]
    if about:
        lines += [textwrap.fill(about, 100), ""]
    lines += ["commands:"] + [f"  {name:{width}s}{help_text}" for name, (_, help_text) in commands.items()]
    return "\n".join(lines)


def unknown_command(prog: str, commands: dict[str, tuple[str, str]], name: str) -> str:
    """The message for a command ``name`` that is not one: the nearest commands, and where the list is."""
    near = difflib.get_close_matches(name, commands, n=3, cutoff=0.6)
    guess = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    return f"error: unknown command {name!r}{guess}\n{prog} --help lists the commands"


def main(prog: str, commands: dict[str, tuple[str, str]], argv: list[str] | None = None, about: str = "") -> int:
    """Parse ``argv`` for the command it names (``commands``: name -> (module, help)) and run it."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(prog, commands, about))
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"{prog} {version()}")
        return 0
    if argv[0] not in commands:
        print(unknown_command(prog, commands, argv[0]), file=sys.stderr)
        return 2
    return run_cli(lambda: run_command(prog, commands, argv[0], argv[1:]))


def run_command(prog: str, commands: dict[str, tuple[str, str]], name: str, argv: list[str]) -> int | None:
    """Run command ``name`` of ``commands`` with its options ``argv``, as ``<prog> <name> <argv>`` does, but
    let a `UserError` through: for a caller that runs commands in turn (``spikegan demo``)."""
    module = importlib.import_module(commands[name][0])
    return module.run(command_parser(prog, commands, name).parse_args(argv))
