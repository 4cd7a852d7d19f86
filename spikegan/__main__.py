"""``spikegan <command> [options]``: every stage of the pipeline behind one command (`spikegan.commands`)."""

from __future__ import annotations

import sys

from model.common.cli import main as cli_main
from spikegan.commands import ABOUT, COMMANDS


def main(argv: list[str] | None = None) -> int:
    return cli_main("spikegan", COMMANDS, argv, about=ABOUT)


if __name__ == "__main__":
    sys.exit(main())
