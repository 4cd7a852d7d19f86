"""The results on the README and the design pages, filled in from a run's reports, never typed by hand.

A page marks each results block with ``<!-- results:NAME:begin -->`` and
``<!-- results:NAME:end -->``; `BLOCKS` says which report fills block ``NAME``
and which command writes it. `fill` replaces what stands between the markers
with the report's Markdown summary (its own title dropped, its headings moved
under the page's, its figures copied beside the page) and one line naming the
report, the run's date, machine and commit, and the command. A block whose
report is not there is left as it stands, so a run refreshes what it measured
and nothing else.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from model.common.errors import UserError

MARKER = re.compile(r"<!-- results:([a-z0-9-]+):begin -->\n.*?<!-- results:\1:end -->", re.S)
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
FIGURES = Path("figures") / "results"  # beside the page, where a block's figures are copied


@dataclass(frozen=True)
class Block:
    """A report that fills a results block: its JSON (paths relative to the run's root folder), the command that
    writes it, and either the Markdown summary written with it or a function that renders the JSON as lines."""

    report: str
    command: str
    markdown: str | None = None
    render: Callable[[dict], list[str]] | None = None

    def __post_init__(self):
        if (self.markdown is None) == (self.render is None):
            raise ValueError(f"block of {self.report}: give its Markdown file or its render function, one of them")


def _report(folder: str, stem: str, command: str, md: str = "report.md") -> Block:
    return Block(f"{folder}/{stem}.json", command, f"{folder}/{md}")


GAN, FPGA, ICE40 = "weights/gan-mnist", "weights/gan-mnist-fpga", "weights/gan-mnist-ice40"
BLOCKS = {
    "findings": Block("reports/summary.json", "make report", render=itemgetter("findings")),
    "summary": Block("reports/summary.json", "make report", render=itemgetter("table")),
    "ann": _report(GAN, "metrics", "make train", "metrics.md"),
    "exact": _report(f"{GAN}/snn/report", "exact", "make convert"),
    "verify-verilator": _report("reports/verify-verilator", "report", "make verify"),
    "verify-icarus": _report("reports/verify-icarus", "report", "make verify"),
    "verify-icarus-fpga": _report("reports/verify-icarus-fpga", "report", "make verify"),
    "verify-icarus-ice40": _report("reports/verify-icarus-ice40", "report", "make verify"),
    "synth": _report("reports/synth", "synth_report", "make synth", "synth_report.md"),
    "sweep-synth": _report("reports/sweep-synth", "synth_sweep", "make sweep-synth", "synth_sweep.md"),
    "sweep-cycles": _report("reports/sweep-cycles", "cycles_sweep", "make sweep-cycles", "cycles_sweep.md"),
    "pareto": _report("reports/pareto", "pareto", "make pareto"),
    "regress": _report("reports/regress", "regress", "make regress"),
    "faults-ice40": _report("reports/faults/ice40", "faults", "make faults", "faults.md"),
    "mutation": _report("reports/mutation", "mutation", "make mutate"),
    "mutation-regress": _report("reports/mutation-regress", "mutation", "make mutate"),
    "ttfs": _report("reports/ttfs", "ttfs", "make ttfs"),
    "ttfs-verify": _report("reports/ttfs/verify-verilator", "report", "make ttfs"),
    "ttfs-synth": _report("reports/ttfs/synth", "synth_report", "make ttfs", "synth_report.md"),
    "conversion": _report(f"{GAN}/snn-direct/report", "conversion", "make rate"),
    "compare": _report("reports/compare", "compare", "make compare", "compare.md"),
    "compare-ice40": _report("reports/compare-ice40", "compare", "make compare-ice40", "compare.md"),
    "compare-full": _report("reports/compare-full", "compare", "make compare-full", "compare.md"),
    "formal": _report("reports/formal", "formal", "make formal", "formal.md"),
    "board-ulx3s": _report("reports/board/ulx3s", "board", "make board BOARD=ulx3s", "board.md"),
    "board-icebreaker": _report("reports/board/icebreaker", "board", "make board BOARD=icebreaker", "board.md"),
    "board-sim-ulx3s": _report("reports/board-sim/ulx3s", "board-sim", "make board-sim BOARD=ulx3s", "board-sim.md"),
    "board-sim-icebreaker": _report("reports/board-sim/icebreaker", "board-sim",
                                    "make board-sim BOARD=icebreaker", "board-sim.md"),
    "rate-verify-verilator": _report("reports/rate/verify-verilator", "report", "make rate"),
    "exact-verify-icarus-fpga": _report("reports/exact/verify-icarus-fpga", "report", "make exact"),
    "exact-verify-icarus-ice40": _report("reports/exact/verify-icarus-ice40", "report", "make exact"),
    "exact-synth": _report("reports/exact/synth", "synth_report", "make exact", "synth_report.md"),
    "exact-synth-direct-fpga": _report("reports/exact/synth-direct-fpga", "synth_report", "make exact", "synth_report.md"),
    "exact-synth-rate-fpga": _report("reports/exact/synth-rate-fpga", "synth_report", "make exact", "synth_report.md"),
    "exact-mutation": _report("reports/exact/mutation", "mutation", "make exact"),
    "memristor": _report("weights/memristor/mnist-image", "report", "make memristor"),
    "memristor-rtl": _report("weights/memristor", "hwcheck-mnist", "make memristor", "hwcheck-mnist.md"),
    "hybrid": _report("reports/hybrid", "hybrid", "make hybrid"),
    "nir": _report("reports/nir", "nir", "make nir"),
    "nir-verify": _report("reports/nir/verify-verilator", "report", "make nir"),
}


def provenance(report: dict, block: Block) -> str:
    """One line: which report, the run's date, machine and commit, and the command that writes it."""
    m = report.get("machine") or {}
    commit = m.get("commit") or report.get("commit") or "?"
    return (f"*From `{block.report}` ({block.command}): the run of {m.get('date', '?')} on {m.get('cpus', '?')} CPU(s) "
            f"({m.get('cpu', '?')}), commit {commit}.*")


def body(markdown: str) -> list[str]:
    """A report's Markdown under a page's heading: its ``# title`` dropped, every other heading one level down."""
    lines = markdown.strip("\n").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return [f"#{line}" if line.startswith("#") else line for line in lines]


def copy_figures(lines: list[str], source: Path, page: Path, name: str) -> list[str]:
    """Copy the figures the lines link (relative to ``source``'s folder) beside ``page``, and link the copies."""
    target = FIGURES / name

    def copy(match: re.Match) -> str:
        figure = source.parent / match.group(2)
        if not figure.is_file():
            return match.group(0)
        (page.parent / target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(figure, page.parent / target / figure.name)
        return f"![{match.group(1)}]({(target / figure.name).as_posix()})"

    return [IMAGE.sub(copy, line) for line in lines]


def render(name: str, root: Path, page: Path) -> str | None:
    """The text of block ``name`` from the reports under ``root``; None when its report is not there."""
    block = BLOCKS[name]
    report_path = root / block.report
    markdown_path = root / block.markdown if block.markdown else None
    if not report_path.is_file() or (markdown_path and not markdown_path.is_file()):
        return None
    try:
        report = json.loads(report_path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"{report_path} is not valid JSON ({e}); run `{block.command}` again") from None
    if markdown_path:
        lines = copy_figures(body(markdown_path.read_text()), markdown_path, page, name)
    else:
        lines = block.render(report)
    return "\n".join([*lines, "", provenance(report, block)]) + "\n"


def fill(page: Path, root: Path) -> tuple[list[str], list[str]]:
    """Fill every results block of ``page`` whose report is under ``root``: (blocks filled, blocks left)."""
    text = page.read_text()
    unknown = sorted({m.group(1) for m in MARKER.finditer(text)} - set(BLOCKS))
    if unknown:
        raise UserError(f"{page} has results blocks no report fills: {', '.join(unknown)} (known: {', '.join(BLOCKS)})")
    filled, left = [], []

    def replace(match: re.Match) -> str:
        name = match.group(1)
        new = render(name, root, page)
        (left if new is None else filled).append(name)
        if new is None:
            return match.group(0)
        return f"<!-- results:{name}:begin -->\n{new}<!-- results:{name}:end -->"

    page.write_text(MARKER.sub(replace, text))
    return filled, left


def blocks_in(page: Path) -> list[str]:
    """The names of the results blocks ``page`` marks, in order."""
    return [m.group(1) for m in MARKER.finditer(page.read_text())]


def pages_in(paths) -> list[Path]:
    """The Markdown pages named, a folder standing for the ``.md`` files in it."""
    pages = []
    for path in map(Path, paths):
        if path.is_dir():
            pages += sorted(path.glob("*.md"))
        elif path.is_file():
            pages.append(path)
        else:
            raise UserError(f"no page or folder {path}: name Markdown files or folders of them (e.g. README.md docs)")
    return pages
