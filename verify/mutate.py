"""``spikegan mutate``: mutation testing of the generated RTL.

Faults are injected into the generator's Verilog as Yosys wrote it (one per
mutant, in the right-hand side of one ``assign``): a comparison made strict or
loose, an equality inverted, an addition turned into a subtraction, an AND into
an OR, a constant off by one (a threshold, a bias offset, a counter limit), the
two arms of a multiplexer swapped (a reset, a saturation, a forwarding path), a
wire stuck at 0 (a lane, a valid bit). Each mutant runs the checks of
``spikegan verify`` (every layer's spike trains, counts and, through the sweep
monitor, membranes after every step against the golden model, from the stored
trains and from the on-chip encoder); it is killed when they fail, it hangs,
or it no longer compiles, and also when its timing differs from the unmutated
design's: another number of cycles for an image, or a layer that ends a step's
sweep in another cycle (a fault of the pipeline's timing that the outputs do
not show, such as a sweep held back one word early). A mutant of a wire
nothing reads is equivalent (no output can change) and is not run; a survivor
is proven equivalent with Yosys where it is (`verify.formal.equivalence`), and
every other survivor counts as alive. The score is of the mutants not
equivalent. The report gives the mutation score with and without the
timing kills, the coverage the vectors
reach on the unmutated design, and every surviving mutant with its line, so
each can be explained.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hw.build import RtlBuild
from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_out, add_seed, add_sim
from model.common.runinfo import machine
from model.snn import ramp
from model.snn.bins import semantic_bins
from model.snn.closure import directed_noise
from model.snn.config import RAMP, SnnConfig
from model.snn.exhaustive import semantic_applicable
from model.snn.export import export_network, load
from model.snn.golden import encode_noise, random_network, run_noise
from verify.coverage import coverage_line, design_coverage
from verify.flow import directed_images, plan_golden
from verify.mutants import replace_line, spread, timing_difference
from verify.sim import check_simulator
from verify.system import first_failure, run_generator, sim_build
from verify.wrapper import add_wrapper

# (kind, pattern in an assign's right-hand side, replacement: a string or a function of the match)
OPERATORS = (
    ("comparison", re.compile(r" >= "), " > "),
    ("comparison", re.compile(r" > "), " >= "),
    ("comparison", re.compile(r" <= "), " < "),
    ("comparison", re.compile(r" < "), " <= "),
    ("equality", re.compile(r" == "), " != "),
    ("equality", re.compile(r" != "), " == "),
    ("arithmetic", re.compile(r" \+ "), " - "),
    ("arithmetic", re.compile(r" - "), " + "),
    ("logic", re.compile(r" & "), " | "),
    ("logic", re.compile(r" \| "), " & "),
    ("constant", re.compile(r"(\d+)'h([0-9a-f]+)"),
     lambda m: f"{m.group(1)}'h{(int(m.group(2), 16) + 1) % (1 << int(m.group(1))):x}"),
    ("mux", re.compile(r"\? (\S+ ?(?:\[[^\]]*\])?) : (\S+ ?(?:\[[^\]]*\])?) ?;$"), lambda m: f"? {m.group(2)} : {m.group(1)};"),
)
ASSIGN = re.compile(r"^(\s*assign\s+.+?\s=\s)(.*)$")


@dataclass(frozen=True)
class Mutant:
    """One fault: ``kind``, the 1-based ``line`` of the generator's Verilog, its text before and after."""

    index: int
    kind: str
    line: int
    before: str
    after: str


# The wires of a layer's own logic, not of its XBAR, FIFO, serialiser or ROMs (`hw.ramp_layer.RampLayer`).
LAYER_LOGIC = re.compile(r"^\s*assign\s+\\layer\d+\.[^.\s]+ ")


def sites(verilog: str, within: re.Pattern | None = None) -> list[tuple[str, int, str, str]]:
    """Every (kind, line, before, after) one operator can make of one ``assign`` of ``verilog`` (``within``: of
    the assigns it matches only)."""
    out = []
    for n, text in enumerate(verilog.splitlines(), start=1):
        m = ASSIGN.match(text)
        if not m or (within is not None and not within.match(text)):
            continue
        lhs, rhs = m.groups()
        for kind, pattern, repl in OPERATORS:
            for hit in pattern.finditer(rhs):
                new = repl(hit) if callable(repl) else repl
                out.append((kind, n, text, lhs + rhs[: hit.start()] + new + rhs[hit.end():]))
        if rhs.strip() not in ("0;", "1'h0;"):
            out.append(("stuck-at-0", n, text, lhs + "0;"))
    return out


def choose(verilog: str, count: int, seed: int, within: re.Pattern | None = None) -> list[Mutant]:
    """``count`` mutants of ``verilog`` drawn with ``seed`` (`spread` over the kinds)."""
    return [Mutant(i, *s) for i, s in enumerate(spread(sites(verilog, within), count, seed))]


def mutated_logic(config: SnnConfig) -> re.Pattern | None:
    """Where the mutants of ``config``'s generator are drawn: a ramp network's in its layers' own logic (the
    ramp layer, `LAYER_LOGIC`); any other network's anywhere in the design."""
    return LAYER_LOGIC if config.neuron == "ramp" else None


def drives_nothing(verilog: str, line: int) -> bool:
    """Whether the wire assigned on ``line`` is read nowhere in ``verilog`` (only declared and assigned): a
    fault there cannot change any output, so the mutant is equivalent."""
    lines = verilog.splitlines()
    if not ASSIGN.match(lines[line - 1]):
        return False
    target = assigned_wire(lines[line - 1])
    token = re.compile(re.escape(target) + r"(?=[\s\[;,)}])")
    for text in lines:
        assign = ASSIGN.match(text)
        read = assign.group(2) if assign else text  # an assign's left side (bits of the wire, a concatenation) writes
        if token.search(read) and not text.strip().startswith(("wire ", "reg ")):
            return False
    return True


def mutant_build(base, mutant: Mutant, root: Path):
    """A copy of the base RTL (``verify.wrapper.SimBuild``) with ``mutant`` applied, and its wrapper."""
    out = root / f"m{mutant.index:03d}" / "rtl"
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(base.rtl.out_dir, out)
    replace_line(out / base.rtl.sources[-1].name, mutant.line, mutant.before, mutant.after)
    rtl = RtlBuild(out, base.rtl.top, [out / p.name for p in base.rtl.sources], base.rtl.component,
                   [out / p.name for p in base.rtl.mem_files], out / base.rtl.waivers.name if base.rtl.waivers else None)
    return add_wrapper(rtl, base.dump, base.cover, base.sweeps, base.pulses)


def run_mutant(export, sim: str, base, mutant: Mutant, root: Path, images: list[dict], reference: list[dict]) -> dict:
    """Run the checks on one mutant: killed, and by what (``by``: the tool chain, the checks of ``spikegan
    verify``, or only its timing, compared with the unmutated design's ``reference`` images)."""
    start = time.perf_counter()
    try:
        build = mutant_build(base, mutant, root)
        result, _ = run_generator(export, sim, build, images, log=build.rtl.out_dir.parent / f"{sim}.log")
    except Exception as e:  # a mutant that no longer compiles or elaborates is killed by the tool chain
        verdict, by, why = "killed", "tool chain", f"does not build or run: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
    else:
        failure = first_failure(result, images)
        timing = None if failure else timing_difference(result, reference)
        if failure:
            verdict, by, why = "killed", "checks", failure[:200]
        elif timing:
            verdict, by, why = "killed", "timing", timing
        else:
            verdict, by, why = "survived", None, "every image and membrane matched the golden model, in the same cycles"
    return {**asdict(mutant), "verdict": verdict, "by": by, "why": why, "seconds": round(time.perf_counter() - start, 2)}


def _proof(base, mutant: Mutant, root: Path) -> dict:
    """A survivor proven equivalent to the design (`verify.formal.equivalence`) becomes "equivalent"; the proof's
    outcome goes into its row either way."""
    from verify.formal.equivalence import prove_equivalent

    sources = [p.name for p in base.rtl.sources]
    proof = prove_equivalent(base.rtl.sources[-1], root / f"m{mutant.index:03d}" / "rtl", sources[:-1], sources[-1],
                             base.rtl.top, assigned_wire(mutant.before))
    row = {"proof": proof}
    if proof["proven"]:
        row |= {"verdict": "equivalent", "by": "proof", "why": f"proven equivalent: {proof['why']}"}
    return row


def assigned_wire(line: str) -> str:
    """The wire an ``assign`` line writes (all of it, where the line writes one bit)."""
    return ASSIGN.match(line).group(1).split()[1]


def mutation_run(manifest, sim: str, count: int, seed: int, out_dir, build_root="sim_builds/mutants",
                 vectors: int | None = None, progress=None, prove: bool = True) -> dict:
    """Draw ``count`` mutants of the export's generator, run each under ``sim``; each survivor is then proven
    equivalent where it is (``prove``). The report (also written) scores the others."""
    check_simulator(sim)
    start = time.perf_counter()
    export = load(manifest)
    n = len(export.vectors) if vectors is None else min(vectors, len(export.vectors))
    images = [{"vector": v, "encode": e} for v in range(n) for e in (0, 1)] + directed_images(export.directed)
    root = Path(build_root).resolve() / f"{export.sha256[:10]}-s{seed}"
    base = sim_build(export, root / "base", run_lint=True)
    baseline, _ = run_generator(export, sim, base, images, log=root / f"base-{sim}.log")
    if baseline["error"]:
        raise UserError(f"the unmutated RTL fails its checks ({baseline['error'][:200]}): fix that before mutating it")
    verilog = base.rtl.sources[-1].read_text()
    within = mutated_logic(export.config)
    mutants = choose(verilog, count, seed, within)
    rows = []
    for m in mutants:
        if drives_nothing(verilog, m.line):
            rows.append({**asdict(m), "verdict": "equivalent", "by": None, "seconds": 0.0,
                         "why": "the wire it assigns is read nowhere in the design"})
        else:
            rows.append(run_mutant(export, sim, base, m, root, images, baseline["images"]))
            if rows[-1]["verdict"] == "survived" and prove:
                rows[-1] |= _proof(base, m, root)
        if progress:
            progress(len(rows))
    killed = sum(r["verdict"] == "killed" for r in rows)
    by_checks = sum(r["by"] in ("tool chain", "checks") for r in rows)
    equivalent = sum(r["verdict"] == "equivalent" for r in rows)
    proven = sum(r["by"] == "proof" for r in rows)
    scored = max(len(rows) - equivalent, 1)
    report = {
        "manifest": str(manifest), "simulator": sim, "seed": seed, "images_per_mutant": len(images),
        "sites": len(sites(verilog, within)), "where": "the ramp layers' own logic" if within else "the whole design",
        "mutants": len(rows), "killed": killed, "equivalent": equivalent, "proven_equivalent": proven,
        "proofs_tried": sum("proof" in r for r in rows),
        "score": killed / scored, "score_of_all": killed / len(rows), "score_without_timing": by_checks / scored,
        "killed_by": {b: sum(r["by"] == b for r in rows) for b in ("tool chain", "checks", "timing")},
        "coverage": design_coverage(export.net, plan_golden(export, images).traces, baseline["coverage"]),
        "by_kind": {k: [sum(r["verdict"] == "killed" for r in rows if r["kind"] == k),
                        sum(r["kind"] == k for r in rows)] for k in sorted({r["kind"] for r in rows})},
        "survivors": [r for r in rows if r["verdict"] == "survived"], "rows": rows,
        "wall_s": time.perf_counter() - start, "machine": machine(),
    }
    write_json_and_markdown(Path(out_dir) / "mutation.json", report, markdown(report))
    return report


def markdown(report: dict) -> str:
    k, cov = report["killed_by"], report["coverage"]
    lines = [
        "# Mutation testing of the generated RTL", "",
        f"{report['mutants']} mutants drawn (seed {report['seed']}) from {report['sites']} sites of the generator's "
        f"Verilog ({report.get('where', 'the whole design')}), each run on {report['images_per_mutant']} images under {report['simulator']} against the golden "
        f"model and for the unmutated design's timing; {report['equivalent']} are equivalent, "
        f"{report['equivalent'] - report.get('proven_equivalent', 0)} because they assign a wire nothing reads and "
        f"{report.get('proven_equivalent', 0)} proven so with Yosys (of the {report.get('proofs_tried', 0)} survivors "
        f"tried, `verify.formal.equivalence`); every other survivor counts as alive. "
        f"**Mutation score {report['score']:.1%}** of the other "
        f"{report['mutants'] - report['equivalent']} ({report['killed']} killed: {k['tool chain']} by the tool "
        f"chain, {k['checks']} by the checks of `spikegan verify`, {k['timing']} only by their timing: cycles per "
        f"image or per layer's sweep); {report['score_without_timing']:.1%} without the timing, "
        f"{report['score_of_all']:.1%} of all {report['mutants']}. {report['wall_s']:.0f} s in all.", "",
        f"The vectors on the unmutated design: {coverage_line(cov)}.", "",
        "| kind | killed / mutants |", "|---|---|",
    ]
    lines += [f"| {k} | {a} / {b} |" for k, (a, b) in report["by_kind"].items()]
    lines += ["", f"Surviving mutants ({len(report['survivors'])}):", ""]
    lines += [f"- #{r['index']} {r['kind']}, line {r['line']}: `{r['before'].strip()}` -> `{r['after'].strip()}`"
              + (f" (not proven equivalent: {r['proof']['why']})" if "proof" in r else "")
              for r in report["survivors"]] or ["- none"]
    return "\n".join(lines) + "\n"


def add_arguments(parser) -> None:
    parser.add_argument("--against", choices=("verify", "regress"), default="verify",
                        help="verify: faults in one generated design's Verilog, against the checks of spikegan verify; "
                             "regress: faults in the generator's Amaranth source, each against --cases regression cases")
    parser.add_argument("--manifest", default=None,
                        help="exported network whose RTL is mutated; a ramp network's mutants are drawn from its ramp "
                             "layers' own logic (default: a random 16-2-5-9-16 network with biases, saturating 8-bit "
                             "membranes, T = 12, P = 2, 8 test vectors and the directed vectors that close its coverage)")
    parser.add_argument("--neuron", choices=("rate", "ramp"), default="rate",
                        help="without --manifest: the neuron of the network mutated (ramp: a ramp network of the same "
                             "shape, docs/exact-ttfs-semantics.md)")
    add_sim(parser, "simulator (Icarus compiles each mutant faster; make mutate takes it)")
    parser.add_argument("--mutants", type=int, default=100, help="mutants to draw")
    parser.add_argument("--vectors", type=int, default=None, help="test vectors per mutant (default: all of the export's)")
    parser.add_argument("--cases", type=int, default=6,
                        help="with --against regress: regression cases per mutant, the seeds from --first on that "
                             "together cover the most configuration bins (every reset, coding, depth, lane split)")
    parser.add_argument("--first", type=int, default=0, help="with --against regress: the first seed considered")
    parser.add_argument("--workers", type=int, default=None, help="with --against regress: Dask workers (default: one per core)")
    add_seed(parser, "seed of the draw")
    add_out(parser, "reports/mutate")
    parser.add_argument("--build-root", default="sim_builds/mutants", help="where the mutants are built")
    parser.add_argument("--no-prove", action="store_true",
                        help="count every survivor as alive without trying to prove it equivalent with Yosys")


TARGET = SnnConfig(sizes=(16, 2, 5, 9, 16), timesteps=12, lanes=2, weight_bits=6, membrane_bits=8, input_bits=4,
                   reset="subtract")
RAMP_TARGET = SnnConfig(sizes=(16, 2, 5, 9, 16), timesteps=12, lanes=2, weight_bits=6, membrane_bits=15, input_bits=4,
                        **RAMP)
TARGET_VECTORS = 8


def _target_network(neuron: str, seed: int):
    if neuron == "ramp":
        return ramp.random_network(RAMP_TARGET, seed=seed, weight_scale=0.6, bias_scale=0.5)
    return random_network(TARGET, seed=seed, weight_scale=0.6, bias_scale=16)


def default_target(build_root, seed: int, tries: int = 30, neuron: str = "rate") -> Path:
    """The default network to mutate: random weights and biases; P = 2 makes layers of 1, 3, 5 and 8 words (every
    forwarding path, P dividing some layers and not others, each layer's consumer slower per event than the
    layer itself, so every fire FIFO but the last backs up and holds its sweep); 8-bit membranes that saturate.
    Of the network seeds ``seed .. seed + tries - 1``, the one whose directed vectors
    (`model.snn.closure.directed_noise`) leave the fewest semantic bins unhit is taken. ``neuron`` "ramp": a ramp
    network of the same shape (`RAMP_TARGET`, `model.snn.ramp.random_network`)."""
    best = None
    for s in range(seed, seed + tries):
        net = _target_network(neuron, s)
        u = directed_noise(net, TARGET_VECTORS, s, candidates=1024)
        gold = run_noise(net, encode_noise(u, net.config), record_membranes=True)
        missed = set(semantic_applicable(net)) - semantic_bins(net, gold.traces)
        if best is None or len(missed) < best[0]:
            best = (len(missed), s, net, u)
    _, s, net, u = best
    folder = f"target-s{seed}" + ("" if neuron == "rate" else f"-{neuron}")
    return export_network(net, Path(build_root) / folder, u, extra={"random_seed": s})


def run(args) -> int:
    from model.common.progress import with_progress

    if args.mutants < 1 or args.cases < 1:
        raise UserError("--mutants and --cases must be >= 1")
    if args.against == "regress":
        from verify import mutate_source
        from verify.regress import covering_cases

        check_simulator(args.sim)
        seeds = covering_cases(args.cases, args.first)
        report = with_progress(args.mutants, f"source mutants x {args.cases} cases", "mutant", lambda progress:
                               mutate_source.mutation_run(args.mutants, args.seed, seeds, (args.sim,), args.out,
                                                          args.build_root, args.workers, progress,
                                                          prove=not args.no_prove))
        print(mutate_source.markdown(report))
    else:
        manifest = args.manifest or default_target(args.build_root, args.seed, neuron=args.neuron)
        report = with_progress(args.mutants, f"mutants under {args.sim}", "mutant", lambda progress: mutation_run(
            manifest, args.sim, args.mutants, args.seed, args.out, args.build_root, args.vectors, progress,
            prove=not args.no_prove))
        print(markdown(report))
    print(f"report: {args.out}/report.md, mutation.json")
    return 0
