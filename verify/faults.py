"""``spikegan faults``: single-lane threshold faults, each of which the export's own vectors must catch.

For every lane of every layer, three faults are written into the generator's
Verilog as Yosys wrote it, each in that lane's comparator alone: its threshold
raised by one, lowered by one, and ``>=`` made ``>``. A fault changes what the
design does only where a neuron of that lane meets its threshold exactly (or
one below it, for the lowered threshold), so the semantic bins the directed
vectors close (`model.snn.bins`) are what catch it. Each fault runs first the
one image of the plan of ``spikegan verify`` (test vectors, then directed
vectors) whose golden run hits that bin, then, should that image pass, the whole
plan: it is caught when the checks of ``spikegan verify`` fail in simulation.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_manifest, add_out, add_seed, add_sim
from model.common.runinfo import machine
from model.snn.bins import bin_name, per_image, semantic_bins
from model.snn.export import Export, load
from verify.flow import image_label, plan_golden, plan_images
from verify.mutate import Mutant, mutant_build
from verify.sim import check_simulator
from verify.system import first_failure, run_generator, sim_build

KINDS = ("threshold +1", "threshold -1", ">= made >")


@dataclass(frozen=True)
class Fault:
    """One fault: ``kind`` (`KINDS`) in the comparator of lane ``lane`` of layer ``layer``."""

    layer: int
    lane: int
    kind: str

    @property
    def name(self) -> str:
        return f"L{self.layer} lane {self.lane} {self.kind}"

    def bin(self, ramp: bool) -> str:
        """The semantic bin whose hit shows this fault: the membrane at the threshold, or one below it."""
        where = "a step's threshold" if ramp else "threshold"
        what = f"one below {where}" if self.kind == "threshold -1" else f"at {where}"
        return bin_name(self.layer, self.lane, what)


def faults_of(export: Export) -> list[Fault]:
    """Every single-lane threshold fault of ``export``'s generator."""
    c = export.config
    return [Fault(l, p, k) for l in range(1, c.layers + 1) for p in range(min(c.lanes, c.sizes[l])) for k in KINDS]


def _lif_site(lines: list[str], fault: Fault) -> tuple[int, str]:
    """The line of a LIF lane's comparison ``over = V + B - theta`` (sign bit: not fired) and its faulty text."""
    l, p = fault.layer, fault.lane
    if fault.kind == ">= made >":  # the fired bit, ~over[msb], needs over != 0 too
        sign = re.compile(rf"~ (\\layer{l}\.over{p} \[\d+\])")
        fire = re.compile(rf"^\s*assign \\layer{l}\.fire (\[{p}\] )?= ")
        n = _one(lines, lambda s: fire.match(s) and sign.search(s), fault)
        return n, sign.sub(lambda m: f"(~ {m.group(1)} & (| \\layer{l}.over{p} ))", lines[n])
    theta = re.compile(rf"^(\s*assign \\layer{l}\.over{p}  = .* - )(\$signed\(\d+'h[0-9a-f]+\));$")
    n = _one(lines, theta.match, fault)
    m = theta.match(lines[n])
    return n, f"{m.group(1)}({m.group(2)} {'+' if fault.kind == 'threshold +1' else '-'} 1);"


def _ramp_site(lines: list[str], fault: Fault, membrane_bits: int) -> tuple[int, str]:
    """The line of a ramp lane's comparison ``V >= thr`` and its faulty text."""
    l, p = fault.layer, fault.lane
    compare = re.compile(rf"^(\s*assign \S+  = \$signed\(\\layer{l}\.r_v (?:\[(\d+):(\d+)\])?\)) >= "
                         rf"(\$signed\(\\layer{l}\.s2_thr \));$")

    def lane_of(s: str) -> bool:
        m = compare.match(s)
        return bool(m) and (int(m.group(3)) // membrane_bits if m.group(3) else 0) == p

    n = _one(lines, lane_of, fault)
    m = compare.match(lines[n])
    right = {"threshold +1": f">= ({m.group(4)} + 1)", "threshold -1": f">= ({m.group(4)} - 1)",
             ">= made >": f"> {m.group(4)}"}[fault.kind]
    return n, f"{m.group(1)} {right};"


def _one(lines: list[str], matches, fault: Fault) -> int:
    found = [n for n, s in enumerate(lines) if matches(s)]
    if len(found) != 1:
        raise RuntimeError(f"bug: {len(found)} lines of the Verilog are the comparator of {fault.name}, not one")
    return found[0]


def as_mutant(verilog: str, export: Export, fault: Fault, index: int) -> Mutant:
    """``fault`` as an edit of one line of ``verilog`` (`verify.mutate.Mutant`)."""
    lines = verilog.splitlines()
    c = export.config
    n, after = _ramp_site(lines, fault, c.membrane_bits) if c.neuron == "ramp" else _lif_site(lines, fault)
    return Mutant(index, fault.name, n + 1, lines[n], after)


def catching_images(export: Export, plan: list[dict]) -> dict[str, int]:
    """Per semantic bin, the first image of ``plan`` whose golden run hits it."""
    gold = plan_golden(export, plan)
    first: dict[str, int] = {}
    for k in range(len(plan)):
        for b in semantic_bins(export.net, per_image(gold.traces, k)):
            first.setdefault(b, k)
    return first


def run_fault(export: Export, sim: str, base, fault: Fault, mutant: Mutant, root: Path, plan: list[dict],
              first: dict[str, int]) -> dict:
    """Simulate one fault: the image that should catch it, then (should it pass) the whole plan."""
    start = time.perf_counter()
    build = mutant_build(base, mutant, root)
    k = first.get(fault.bin(export.config.neuron == "ramp"))
    tries = ([[plan[k]]] if k is not None else []) + [plan]
    for images in tries:
        result, _ = run_generator(export, sim, build, images, log=build.rtl.out_dir.parent / f"{sim}.log")
        failure = first_failure(result, images)
        if failure:
            return {**asdict(fault), "fault": fault.name, "caught": True, "images": len(images),
                    "by": image_label(images[0]) if len(images) == 1 else "the whole plan", "why": failure[:200],
                    "line": mutant.after.strip(), "seconds": round(time.perf_counter() - start, 2)}
    return {**asdict(fault), "fault": fault.name, "caught": False, "images": len(plan), "by": None,
            "why": "every image matched the golden model", "line": mutant.after.strip(),
            "seconds": round(time.perf_counter() - start, 2)}


def fault_run(manifest, sim: str, vectors: int, out_dir, sample: int | None = None, seed: int = 0,
              build_root="sim_builds/faults", progress=None) -> dict:
    """Every single-lane threshold fault of the export (``sample``: that many, drawn with ``seed``) under ``sim``
    against the plan of ``spikegan verify --vectors vectors``; the report (also written)."""
    check_simulator(sim)
    start = time.perf_counter()
    export = load(manifest)
    if not len(export.directed):
        raise UserError(f"{manifest} has no directed vectors (an export made before them); export it again")
    plan = plan_images(len(export.vectors), min(vectors, len(export.vectors)), "alternate", export.directed)
    root = Path(build_root).resolve() / f"{export.sha256[:10]}-{sim}"
    base = sim_build(export, root / "base", run_lint=True)
    baseline, _ = run_generator(export, sim, base, plan, log=root / f"base-{sim}.log")
    if first_failure(baseline, plan):
        raise UserError(f"the RTL without faults fails its checks ({first_failure(baseline, plan)[:200]}): fix that "
                        "before injecting faults")
    verilog = base.rtl.sources[-1].read_text()
    faults = faults_of(export)
    if sample is not None and sample < len(faults):
        rng = np.random.default_rng(seed)
        faults = [faults[i] for i in sorted(rng.choice(len(faults), sample, replace=False))]
    first = catching_images(export, plan)
    rows = []
    for i, fault in enumerate(faults):
        rows.append(run_fault(export, sim, base, fault, as_mutant(verilog, export, fault, i), root, plan, first))
        if progress:
            progress(len(rows))
    report = {"manifest": str(manifest), "simulator": sim, "config": export.config.describe(),
              "plan_images": len(plan), "faults": len(rows), "of": len(faults_of(export)),
              "caught": sum(r["caught"] for r in rows), "escaped": [r["fault"] for r in rows if not r["caught"]],
              "rows": rows, "wall_s": time.perf_counter() - start, "machine": machine()}
    write_json_and_markdown(Path(out_dir) / "faults.json", report, markdown(report), Path(out_dir) / "faults.md")
    return report


def markdown(report: dict) -> str:
    lines = ["# Single-lane threshold faults", "",
             f"{report['faults']} of the {report['of']} faults of {report['config']} (`{report['manifest']}`), each "
             f"in one lane's comparator of the generated Verilog, under {report['simulator']} against the "
             f"{report['plan_images']} images of `spikegan verify`: **{report['caught']} caught**, "
             f"{len(report['escaped'])} escaped. {report['wall_s']:.0f} s in all.", "",
             "| fault | caught | by | seconds |", "|---|---|---|---|"]
    lines += [f"| {r['fault']} | {'yes' if r['caught'] else 'NO'} | {r['by'] or '-'} | {r['seconds']:.1f} |"
              for r in report["rows"]]
    return "\n".join(lines) + "\n"


def add_arguments(parser) -> None:
    add_manifest(parser)
    add_sim(parser)
    parser.add_argument("--vectors", type=int, default=10, help="test vectors of the plan, as spikegan verify's")
    parser.add_argument("--sample", type=int, default=None, help="run this many faults, drawn at random (default: all)")
    add_seed(parser, "seed of the sample")
    add_out(parser, "reports/faults")
    parser.add_argument("--build-root", default="sim_builds/faults", help="where the faulty designs are built")


def run(args) -> int:
    from model.common.progress import with_progress

    total = args.sample or len(faults_of(load(args.manifest)))
    report = with_progress(total, "faults", "fault", lambda progress: fault_run(
        args.manifest, args.sim, args.vectors, args.out, args.sample, args.seed, args.build_root, progress))
    print(markdown(report))
    if report["escaped"]:
        print(f"error: {len(report['escaped'])} faults escaped the vectors: {', '.join(report['escaped'][:12])}",
              file=sys.stderr)
        return 1
    return 0
