"""Results blocks of the README and the design pages are filled from a run's reports, and only from them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from model.common.errors import UserError
from model.snn.export import load
from spikegan.pages import BLOCKS, Block, blocks_in, body, fill, pages_in

REPO = Path(__file__).resolve().parent.parent
MACHINE = {"cpu": "test CPU", "cpus": 2, "date": "2026-12-01 10:00 UTC", "commit": "abc1234"}


def page_with(tmp_path: Path, *names: str) -> Path:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("# A page\n\n" + "".join(f"<!-- results:{n}:begin -->\nold {n}\n<!-- results:{n}:end -->\n\n"
                                             for n in names) + "prose\n")
    return page


def write_report(root: Path, name: str, markdown: str, report: dict | None = None) -> None:
    block = BLOCKS[name]
    (root / block.report).parent.mkdir(parents=True, exist_ok=True)
    (root / block.report).write_text(json.dumps(report or {"machine": MACHINE}))
    (root / block.markdown).write_text(markdown)


def test_a_block_takes_its_report_and_names_the_run(tmp_path):
    write_report(tmp_path, "hybrid", "# Hybrid\n\n## mnist\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    page = page_with(tmp_path, "hybrid", "ttfs")
    assert fill(page, tmp_path) == (["hybrid"], ["ttfs"])
    text = page.read_text()
    assert "### mnist" in text and "| 1 | 2 |" in text and "# Hybrid" not in text and "old hybrid" not in text
    assert "2026-12-01 10:00 UTC" in text and "commit abc1234" in text and "make hybrid" in text
    assert "old ttfs" in text and text.endswith("prose\n")  # no report: the block stays as it was


def test_filling_twice_gives_the_same_page(tmp_path):
    write_report(tmp_path, "regress", "# R\n\ntext\n")
    page = page_with(tmp_path, "regress")
    fill(page, tmp_path)
    once = page.read_text()
    fill(page, tmp_path)
    assert page.read_text() == once


def test_figures_are_copied_beside_the_page(tmp_path):
    write_report(tmp_path, "nir", "# NIR\n\n![accuracy](nir.png)\n")
    (tmp_path / "reports/nir/nir.png").write_bytes(b"png")
    page = page_with(tmp_path, "nir")
    fill(page, tmp_path)
    assert "![accuracy](figures/results/nir/nir.png)" in page.read_text()
    assert (page.parent / "figures/results/nir/nir.png").read_bytes() == b"png"


def test_unknown_blocks_and_bad_reports_are_refused(tmp_path):
    page = page_with(tmp_path, "no-such-report")
    with pytest.raises(UserError, match="no-such-report"):
        fill(page, tmp_path)
    block = BLOCKS["regress"]
    (tmp_path / block.report).parent.mkdir(parents=True)
    (tmp_path / block.report).write_text("{not json")
    (tmp_path / block.markdown).write_text("# R\n")
    with pytest.raises(UserError, match="make regress"):
        fill(page_with(tmp_path, "regress"), tmp_path)
    with pytest.raises(UserError, match="README.md docs"):
        pages_in([tmp_path / "missing"])


def test_a_block_needs_one_source():
    with pytest.raises(ValueError):
        Block("r.json", "make x")


def test_body_drops_the_title_and_nests_the_headings():
    assert body("# T\n\ntext\n## a\n") == ["text", "### a"]


def test_every_block_of_the_readme_and_docs_is_known_and_every_known_block_is_shown():
    shown = [name for page in pages_in([REPO / "README.md", REPO / "docs"]) for name in blocks_in(page)]
    assert set(shown) <= set(BLOCKS)
    assert set(BLOCKS) <= set(shown)


def test_the_memristor_block_reads_the_report_make_memristor_writes():
    import argparse

    from model.memristor import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args([])
    assert BLOCKS["memristor"].report == f"{args.out}/{cli.run_name('mnist', args)}/report.json"


@pytest.mark.slow
@pytest.mark.sim
def test_a_small_runs_reports_fill_the_readme_and_the_design_pages(tmp_path, mnist_files, monkeypatch):
    """Train, convert (exactly, and with the rate converter beside it) and verify a tiny generator with the
    commands, then `spikegan report --pages` on copies of the README and docs/: the blocks those reports feed are
    filled from them, the others stay as they were."""
    from model.common import threads
    from spikegan.__main__ import main

    monkeypatch.chdir(tmp_path)
    run = Path("weights/gan-mnist")
    with threads.one_thread():
        assert main(["train", "--data-dir", str(mnist_files(tmp_path / "data")), "--hidden", "16", "--batch", "20",
                     "--updates", "20", "--no-metrics", "--out", str(run)]) == 0
        small = ["--checkpoint", str(run / "checkpoint.pt"), "--timesteps", "8", "--sweep-t", "8", "--calib", "64",
                 "--images", "8", "--vectors", "1", "--no-fid"]
        assert main(["convert", *small]) == 0
        assert main(["convert", "--neuron", "rate", *small, "--no-peer", "--no-directed", "--out", str(run / "snn-direct")]) == 0
    assert main(["verify", "--manifest", str(run / "snn/manifest.json"), "--sim", "verilator", "--vectors", "1",
                 "--out", "reports/verify-verilator"]) == 0
    pages = tmp_path / "pages"
    (pages / "docs").mkdir(parents=True)
    shutil.copy(REPO / "README.md", pages / "README.md")
    for page in (REPO / "docs").glob("*.md"):
        shutil.copy(page, pages / "docs" / page.name)
    assert main(["report", "--run", str(run), "--out", "reports", "--root", ".",
                 "--pages", str(pages / "README.md"), str(pages / "docs")]) == 0

    readme, generator = (pages / "README.md").read_text(), (pages / "docs/generator.md").read_text()
    exact = (pages / "docs/exact-ttfs.md").read_text()
    verified = json.loads(Path("reports/verify-verilator/report.json").read_text())
    images = len(verified["images"])
    assert f"on {images} of {images} images (test and directed vectors) under verilator (100-16-16-784 exact TTFS)" in readme
    assert images > 1 and verified["coverage_closed"]
    assert f"{verified['summary']['mean_cycles']:,.0f} cycles per image" in readme
    assert "100-16-16-784 exact TTFS" in readme and "rate-coded generator (direct coding, T = 8" in readme
    assert not len(load(run / "snn-direct").directed)  # convert --no-directed
    assert body(Path(BLOCKS["conversion"].markdown).read_text())[0] in generator
    assert body(Path(BLOCKS["exact"].markdown).read_text())[0] in exact
    assert body(Path(BLOCKS["verify-verilator"].markdown).read_text())[0] in exact
    assert body(Path(BLOCKS["ann"].markdown).read_text())[0] in generator
    assert (pages / "docs/ttfs.md").read_text() == (REPO / "docs/ttfs.md").read_text()  # no report: as it was
    commit = json.loads(Path("reports/summary.json").read_text())["machine"]["commit"]
    assert f"commit {commit}" in readme


def test_the_readme_is_read_in_five_minutes():
    assert len((REPO / "README.md").read_text().splitlines()) <= 200


def test_every_filled_block_names_its_runs_date_machine_and_commit():
    for page in pages_in([REPO / "README.md", REPO / "docs"]):
        assert "commit ?" not in page.read_text() and "the run of ?" not in page.read_text(), page
