"""``spikegan demo`` (``make demo``): a small generator through train -> convert -> rtl -> verify, in minutes.

It runs each stage as its ``spikegan`` command (`model.common.cli.run_command`
over `spikegan.commands`) on a 100-64-64-784 generator trained for 1,000
updates, converted exactly to time-to-first-spike neurons at T = 16 (the
default conversion, docs/exact-ttfs.md), and verified bit for bit under Verilator
(4 vectors and the export's directed vectors, which close its coverage) and
Icarus (2 vectors). Everything goes
under ``--out`` (rebuilt on every run): the run's weights and export, the RTL,
both verification reports, ``demo.md``/``demo.json`` (stages, wall times,
verdicts) and ``demo.png`` (the RTL's images beside the golden model, the
float SNN and the ANN). It empties ``--out`` only if an earlier demo made it
(`model.common.files.own_folder`).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from model.common.cli import run_command
from model.common.errors import UserError
from model.common.files import own_folder
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_dataset, add_out, add_seed
from model.common.runinfo import machine
from spikegan.commands import COMMANDS
from verify.coverage import coverage_line
from verify.run_report import fmt
from verify.sim import directed_flags

VECTORS = {"verilator": 4, "icarus": 2}  # test vectors verified per simulator


def add_arguments(parser) -> None:
    add_out(parser, "reports/demo", "output folder (emptied before each run if an earlier demo made it)")
    add_dataset(parser, "training set")
    parser.add_argument("--data-dir", default=None, help="folder with IDX files (default: DATA_DIR, else the standard sources)")
    parser.add_argument("--updates", type=int, default=1000, help="training updates of the small generator")
    add_seed(parser, "training seed")


def _stage(command: str, argv: list[str]) -> None:
    """Run ``spikegan <command> <argv>``; a failure stops the demo."""
    code = run_command("spikegan", COMMANDS, command, argv)
    if code:
        raise UserError(f"the demo stopped: spikegan {command} {' '.join(argv)} exited with {code}")


def stages(out: Path, args) -> list[tuple[str, str, list[str]]]:
    """(name, spikegan command, argv) of every stage, in order."""
    run, snn = out / "weights", out / "weights" / "snn"
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    manifest = str(snn / "manifest.json")
    return [
        ("train", "train", ["--dataset", args.dataset, "--hidden", "64", "--batch", "64", "--updates",
                            str(args.updates), "--seed", str(args.seed), "--no-metrics", "--out", str(run), *data]),
        ("convert", "convert", ["--checkpoint", str(run / "checkpoint.pt"), "--timesteps", "16", "--lanes", "16",
                                "--vectors", "4", "--calib", "256", "--images", "64", "--sweep-t", "8,16",
                                "--no-fid"]),
        ("rtl", "rtl", ["--manifest", manifest, "--out", str(out / "rtl")]),
        *[(f"verify ({sim})", "verify", ["--manifest", manifest, "--sim", sim, "--vectors", str(vectors),
                                         "--out", str(out / f"verify-{sim}"), "--build-root", str(out / "sim_builds"),
                                         *directed_flags(sim)])
          for sim, vectors in VECTORS.items()],
    ]


def run(args) -> int:
    out = own_folder(args.out, "spikegan demo")
    start = time.perf_counter()
    timed = []
    for name, command, argv in stages(out, args):
        print(f"[demo] {name} ...", flush=True)
        t = time.perf_counter()
        _stage(command, argv)
        timed.append({"stage": name, "command": f"spikegan {command} {' '.join(argv)}",
                      "wall_s": round(time.perf_counter() - t, 1)})
    reports = {sim: json.loads((out / f"verify-{sim}" / "report.json").read_text()) for sim in VECTORS}
    verdicts = {sim: r["ok"] for sim, r in reports.items()}
    shutil.copy(out / "verify-verilator" / "image_pairs.png", out / "demo.png")
    result = {"stages": timed, "bit_exact": verdicts, "coverage": coverage_line(reports["verilator"]["coverage"]),
              "wall_s": round(time.perf_counter() - start, 1),
              "machine": machine(), "figure": "demo.png"}
    write_json_and_markdown(out / "demo.json", result, markdown(result), out / "demo.md", indent=2)
    print(markdown(result))
    return 0 if all(verdicts.values()) else 1


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# spikegan demo: 100-64-64-784 exact TTFS, T = 16, P = 16",
        "",
        f"{result['wall_s']:.0f} s in all on {m['cpus']} CPU(s) ({m['cpu']}), load average {fmt(m['load_1min'], '.2f')} "
        f"at the end; {m['date']}.",
        "",
        "| stage | wall s | command |",
        "|---|---|---|",
        *[f"| {s['stage']} | {s['wall_s']} | `{s['command']}` |" for s in result["stages"]],
        "",
        "Bit-exact against the golden model (every layer's spikes): "
        + ", ".join(f"{sim} {'yes' if ok else 'NO'}" for sim, ok in result["bit_exact"].items()) + ".",
        "",
        f"Verilator's run, {result['coverage']}.",
        "",
        f"![RTL beside the golden model, the float SNN and the ANN]({result['figure']})",
        "",
    ]
    return "\n".join(lines)
