"""Command line: ``python -m model <command> ...`` (also installed as ``spikegan``).

Each command lives in its own module, which provides ``add_arguments(parser)``
and ``run(args)``; only the chosen command's module is imported. A
:class:`~model.errors.UserError` becomes a one-line message and exit status 2,
never a bare traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from model.errors import run_cli

COMMANDS = {
    "data": ("model.data_cli", "fetch or inspect the datasets"),
    "train": ("model.train", "train the ANN GAN (SpikeGAN generator 100-1200-1200-784)"),
    "metrics": ("model.metrics", "train/cache the metric classifier and score images"),
    "convert": ("model.convert_cli", "convert the generator to an SNN, quantise and export"),
    "memristor": ("model.memristor.cli", "memristor spiking GAN with on-chip R-STDP"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "python -m model <command> [options]\n\ncommands:\n" + "\n".join(
        f"  {name:10s} {help_text}" for name, (_, help_text) in COMMANDS.items()
    )
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(usage, file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    name = argv[0]
    module_name, help_text = COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"python -m model {name}", description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    return run_cli(lambda: module.run(args))


if __name__ == "__main__":
    sys.exit(main())
