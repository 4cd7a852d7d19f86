"""One command-line shape for every entry point: ``<prog> <command> [options]`` over command modules.

A command module provides ``add_arguments(parser)`` and ``run(args)``; only
the chosen command's module is imported. Every option's default is shown in
``--help``. A :class:`~model.common.errors.UserError` becomes a one-line message and
exit status 2, never a bare traceback. ``python -m model``, ``python -m hw``,
``python -m verify`` and ``spikegan`` (every stage) are all built with `main`;
`run_command` runs one command by name, as ``spikegan demo`` runs its stages.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap

from model.common.errors import run_cli


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends ``(default: X)`` to an option's help unless it names its default already or has none."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default is None or action.default is False or action.default is argparse.SUPPRESS \
                or not action.option_strings:
            return text
        return f"{text} (default: {action.default})"


def parser_for(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)


def usage(prog: str, commands: dict[str, tuple[str, str]], about: str = "") -> str:
    width = max(len(name) for name in commands) + 2
    lines = [f"usage: {prog} <command> [options]   ({prog} <command> --help for its options)", ""]
    if about:
        lines += [textwrap.fill(about, 100), ""]
    lines += ["commands:"] + [f"  {name:{width}s}{help_text}" for name, (_, help_text) in commands.items()]
    return "\n".join(lines)


def main(prog: str, commands: dict[str, tuple[str, str]], argv: list[str] | None = None, about: str = "") -> int:
    """Parse ``argv`` for the command it names (``commands``: name -> (module, help)) and run it."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(prog, commands, about))
        return 0 if argv else 2
    if argv[0] not in commands:
        print(f"error: unknown command {argv[0]!r}\n\n{usage(prog, commands, about)}", file=sys.stderr)
        return 2
    return run_cli(lambda: run_command(prog, commands, argv[0], argv[1:]))


def run_command(prog: str, commands: dict[str, tuple[str, str]], name: str, argv: list[str]) -> int | None:
    """Run command ``name`` of ``commands`` with its options ``argv``, as ``<prog> <name> <argv>`` does, but
    let a `UserError` through: for a caller that runs commands in turn (``spikegan demo``)."""
    module_name, help_text = commands[name]
    module = importlib.import_module(module_name)
    parser = parser_for(f"{prog} {name}", help_text)
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))
