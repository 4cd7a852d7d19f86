"""``spikegan regress``: constrained-random regression of the RTL on Dask, with functional coverage.

Each case draws a network from its seed (shape, ``T``, bit widths, ``P``,
reset, leak, coding), exports it with random weights, builds its RTL and runs
it on each simulator against the golden model (every layer's spike trains,
counts and membranes, from the stored trains and from the on-chip encoder);
the simulators must also agree on the coverage counters and on the cycle
each layer ends each step's sweep in, and no image may take fewer cycles than
its lower bound (`verify.perf.cycle_budget`). The cases are
Dask tasks: a ``LocalCluster`` over this machine's cores by default, or the
cluster at ``--scheduler`` (its workers need this project installed at the same
commit, e.g. ``make setup`` in a checkout on each host, and the simulators on
their PATH). A failing case is reproduced alone by ``--cases 1 --first K``.
The report gives each case's verdict and cost, and the coverage bins hit.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import add_out
from model.common.runinfo import machine
from model.snn.bins import RAMP_BINS
from model.snn.closure import close, directed_noise
from model.snn.config import RAMP, RATE_CODINGS, SnnConfig
from verify.coverage import RAMP_POINTS, RTL_POINTS, design_coverage
from verify.sim import SIMULATORS

CONFIG_BINS = (
    "reset zero", "reset subtract", "reset floor (ttfs)", "leak none", "leak on", "coding bernoulli", "coding stratified",
    "coding direct", "coding ttfs", "neuron ramp (exact ttfs)", "ANN twin (dense)", "ANN twin (zero-skipping)",
    "P divides no layer", "P divides a layer", "P = 1", "one word per layer", "depth 1", "depth 2", "depth 3",
    "an empty time step", "a silent neuron", "every neuron of a layer fires", "narrow weights (q <= 3)",
    "wide weights (q >= 10)", "a layer of 8+ words (largest fan-out)", "one input (N_0 = 1)",
)
# the per-layer bins of `verify.coverage`, hit when any layer of a case hits them
LAYER_BINS = ("at threshold", "one below threshold", "weight saturates high", "weight saturates low",
              "bias saturates high", "bias saturates low", *RTL_POINTS, *RAMP_BINS,
              *(k for k in RAMP_POINTS if k not in RTL_POINTS))
BINS = CONFIG_BINS + LAYER_BINS
RAMP_SHARE = 0.15  # of the cases: ramp networks (docs/exact-ttfs-semantics.md)
# each case runs the directed vectors that close its coverage (`model.snn.closure.close`), each from its stored
# trains and through the encoder (a design none of whose bins can be reached runs one vector), then one image of
# noise drawn by the on-chip source (`drawn_image`), then an image without input spikes (`silent_noise`)


def draw(seed: int) -> SnnConfig:
    """The network of case ``seed``: every field of the `SnnConfig` drawn within what the RTL supports."""
    rng = random.Random(seed)
    depth = rng.choice((1, 2, 3))
    sizes = (rng.randint(1, 20),) + tuple(rng.randint(2, 18) for _ in range(depth))
    q = rng.choice((2, 3, 4, 6, 8, 10, 12))
    ttfs = rng.random() < 0.2
    r = rng.randint(2, 8)
    t = rng.randint(4, min(24, 1 << r) if ttfs else 24)
    lanes = rng.choice((1, 2, 3, 4, 5, 8, 16))
    if ttfs:
        return SnnConfig(sizes=sizes, timesteps=t, weight_bits=q, membrane_bits=min(48, q + 16), input_bits=r,
                         lanes=lanes, neuron="ttfs", coding="ttfs", reset="floor", leak_shift=None)
    if random.Random(f"ramp {seed}").random() < RAMP_SHARE:  # drawn apart, so the other cases stay as they were
        t = min(t, 1 << r)  # its input's spike times 0 .. T in R + 1 bits
        reach = t * max(sizes) * (1 << (q - 1)) * 2  # T sum|W| + |B|, biases within +-theta
        return SnnConfig(sizes=sizes, timesteps=t, weight_bits=q, membrane_bits=min(48, reach.bit_length() + 1),
                         input_bits=r, lanes=lanes, **RAMP)
    coding = rng.choice(RATE_CODINGS)
    m = rng.randint(q + 2, min(48, q + 12))
    if coding == "direct":  # room for layer 1's current, B_1 + W_1 X with X up to 2^R (`IntNetwork`)
        m = min(48, max(m, q + r + sizes[0].bit_length() + 2))
    leak = rng.choice((None, None, rng.randint(1, min(6, m - 1))))
    return SnnConfig(sizes=sizes, timesteps=t, weight_bits=q, membrane_bits=m, input_bits=r, lanes=lanes,
                     leak_shift=leak, reset=rng.choice(("zero", "subtract")), coding=coding)


def case_network(config: SnnConfig, seed: int, rng: np.random.Generator):
    """The random network of case ``seed`` (`model.snn.golden.random_network`): random weight and bias scales,
    no bias for a TTFS network (its neuron has none)."""
    from model.snn import ramp
    from model.snn.golden import random_network

    weight_scale, bias_scale = float(rng.uniform(0.2, 0.6)), int(rng.integers(0, 4))
    if config.neuron == "ramp":
        return ramp.random_network(config, seed=seed, weight_scale=weight_scale, bias_scale=bias_scale / 2)
    return random_network(config, seed=seed, weight_scale=weight_scale,
                          bias_scale=0 if config.neuron == "ttfs" else bias_scale)


def config_bins(config: SnnConfig) -> set[str]:
    """The configuration bins a case hits by its configuration alone."""
    c = config
    hit = {f"reset {c.reset}" if c.reset != "floor" else "reset floor (ttfs)", f"coding {c.coding}",
           *({"neuron ramp (exact ttfs)", "ANN twin (dense)", "ANN twin (zero-skipping)"} if c.neuron == "ramp" else ()),
           "leak none" if c.leak_shift is None else "leak on", f"depth {c.layers}"}
    divides = [n % c.lanes == 0 for n in c.sizes[1:]]
    hit.add("P divides a layer" if any(divides) else "P divides no layer")
    hit |= {"P = 1"} if c.lanes == 1 else set()
    hit |= {"one word per layer"} if c.max_groups == 1 else set()
    hit |= {"a layer of 8+ words (largest fan-out)"} if c.max_groups >= 8 else set()
    hit |= {"one input (N_0 = 1)"} if c.sizes[0] == 1 else set()
    hit |= {"narrow weights (q <= 3)"} if c.weight_bits <= 3 else {"wide weights (q >= 10)"} if c.weight_bits >= 10 else set()
    return hit


def bins_of(config: SnnConfig, gold) -> set[str]:
    """The configuration bins one case hits: from its configuration and from the golden model's run."""
    c, hit = config, config_bins(config)
    for l in range(1, c.layers + 1):
        counts = gold.counts[l]
        hit |= {"a silent neuron"} if (counts == 0).any() else set()
        hit |= {"every neuron of a layer fires"} if (counts > 0).all(axis=-1).any() else set()
    if (gold.spikes[0].sum(axis=-1) == 0).any():
        hit.add("an empty time step")
    return hit


def covering_cases(count: int, first: int, pool: int = 200) -> list[int]:
    """``count`` case seeds among ``first .. first + pool - 1`` that together hit the most configuration bins
    (`config_bins`), chosen greedily: a few cases that still exercise every reset, coding, depth and lane split."""
    bins = {s: config_bins(draw(s)) for s in range(first, first + pool)}
    chosen, hit = [], set()
    for _ in range(min(count, pool)):
        best = max((s for s in bins if s not in chosen), key=lambda s: (len(bins[s] - hit), -s))
        chosen.append(best)
        hit |= bins[best]
    return sorted(chosen)


def layer_bins(design_bins: set[str]) -> set[str]:
    """The regression's per-layer bins hit, from a design's bins (``"L2 lane 3 at threshold"`` hits "at threshold")."""
    return {b for b in LAYER_BINS for d in design_bins if d.endswith(" " + b)}


def _twins(ex, sims: tuple[str, ...], case_dir: Path) -> dict | None:
    """A ramp case's ANN twins (`hw.ann_twin`, dense and zero-skipping) on each of ``sims``: None when both match
    the golden model on every vector, else the failing row's fields."""
    from hw.ann_twin import DESIGNS
    from verify.perf import below_bound
    from verify.system import first_failure, run_generator, sim_build

    images = [{"vector": v, "encode": 0} for v in range(len(ex.vectors))]
    for design in DESIGNS:
        for sim in sims:
            stage = f"{design} build"
            try:
                build = sim_build(ex, case_dir / "build" / f"{sim}-{design}", run_lint=sim == sims[0], design=design)
                stage = f"{design} simulate"
                result, _ = run_generator(ex, sim, build, images, log=case_dir / f"{sim}-{design}.log", optimize=False)
            except Exception as e:
                return {"sim": sim, "stage": stage, "why": f"{type(e).__name__}: {str(e)[:300]}"}
            failure = first_failure(result, images) or below_bound(result["images"])
            if failure:
                return {"sim": sim, "stage": f"{design} check", "why": failure}
    return None


def silent_noise(config: SnnConfig) -> np.ndarray:
    """One vector of noise whose inputs never spike (a TTFS input at ``X = T``, a rate input at 0): an image in
    which layer 1 gets no input event, so a layer that sweeps only at steps with events is never written and
    its read-out must give 0, even after an image that wrote its counters."""
    return np.full((1, config.sizes[0]), 1.0 if config.neuron == "ttfs" else 0.0)


def case_vectors(net, seed: int) -> np.ndarray:
    """The noise vectors a case runs: those of its closure search (`model.snn.closure.close`), or one directed
    vector where the search needs none, then `silent_noise`."""
    found = close(net, seed)
    directed = found.noise if len(found.noise) else directed_noise(net, 1, seed)
    return np.vstack([directed, silent_noise(net.config)])


def drawn_image(seed: int) -> dict:
    """The last image of case ``seed``: vector 0 through the encoder, its noise drawn first by the on-chip
    source (`verify.tb.generator.GeneratorTB.set_noise`) from a seed that is never 0."""
    return {"vector": 0, "encode": 1, "noise": {"seed": seed + 1}}


def run_case(seed: int, sims: tuple[str, ...], root: str, keep: bool = False) -> dict:
    """One case: draw, export, build, simulate on each of ``sims``, compare, and a ramp network's ANN twins too
    (`_twins`); its verdict (a failing case's ``stage``: build, simulate or check, or the twin's), bins, cost and
    ``timing`` (per image, the cycles and each layer's sweep ends). A passing case's folder is removed unless
    ``keep``; a failing one stays for inspection."""
    from model.snn.export import export_network, load
    from model.snn.golden import run_noise
    from verify.perf import below_bound
    from verify.system import first_failure, run_generator, sim_build

    start = time.perf_counter()
    config = draw(seed)
    rng = np.random.default_rng(seed)
    case_dir = Path(root) / f"case{seed}"
    row = {"seed": seed, "config": config.to_dict()}
    try:
        net = case_network(config, seed, rng)
    except UserError as e:  # e.g. a TTFS membrane too narrow to stay floored: not a network the RTL must run
        return row | {"verdict": "skipped", "why": str(e), "seconds": time.perf_counter() - start}
    u = case_vectors(net, seed)
    ex = load(export_network(net, case_dir / "snn", u, directed=False))
    gold = run_noise(ex.net, ex.noise_x, record_membranes=True)
    silent = len(u) - 1  # last, after images that wrote the counters
    images = ([{"vector": v, "encode": e} for v in range(silent) for e in (0, 1)] + [drawn_image(seed)]
              + [{"vector": silent, "encode": e} for e in (0, 1)])
    counters, sweep_ends = {}, []
    for sim in sims:
        stage = "build"
        try:
            build = sim_build(ex, case_dir / "build" / sim, run_lint=sim == sims[0])
            stage = "simulate"
            result, _ = run_generator(ex, sim, build, images, log=case_dir / f"{sim}.log", optimize=False)
        except Exception as e:  # a lint failure or a crash is this case's failure, not the regression's
            return row | {"verdict": "fail", "sim": sim, "stage": stage, "why": f"{type(e).__name__}: {str(e)[:300]}",
                          "seconds": time.perf_counter() - start}
        failure = first_failure(result, images) or below_bound(result["images"])
        timing = [im["sweep_ends"] for im in result["images"]]
        if not failure and counters and result["coverage"] != counters:
            failure = "the coverage counters differ between the simulators"
        if not failure and sweep_ends and timing != sweep_ends:
            failure = "the cycles the layers end their sweeps in differ between the simulators"
        if failure:
            return row | {"verdict": "fail", "sim": sim, "stage": "check", "why": failure,
                          "seconds": time.perf_counter() - start}
        counters, sweep_ends = result["coverage"], timing
        row["timing"] = [{"cycles": im["cycles"], "sweep_ends": im["sweep_ends"]} for im in result["images"]]
    twin_failure = _twins(ex, sims, case_dir) if config.neuron == "ramp" else None
    if twin_failure:
        return row | {"verdict": "fail", **twin_failure, "seconds": time.perf_counter() - start}
    cov = design_coverage(ex.net, gold.traces, counters)
    row |= {"bins": sorted(bins_of(config, gold) | layer_bins(set(cov["bins"]))), "vectors": len(u),
            "design_bins": [cov["hit"], cov["applicable"]], "missed": cov["missed"],
            "semantic_missed": cov["semantic_missed"]}
    if not keep:
        shutil.rmtree(case_dir, ignore_errors=True)
    return row | {"verdict": "pass", "seconds": time.perf_counter() - start}


def regress(cases: int, first: int, sims: tuple[str, ...], out_dir, root="sim_builds/regress", scheduler=None,
            workers: int | None = None, progress=None, keep: bool = False) -> dict:
    """Run cases ``first .. first + cases - 1`` on Dask; the report (also written to ``out_dir``)."""
    from dask.distributed import Client, LocalCluster, as_completed

    start = time.perf_counter()
    root = str(Path(root).resolve())
    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                 dashboard_address=None)
    with Client(scheduler or cluster) as client:
        futures = client.map(run_case, range(first, first + cases), sims=sims, root=root, keep=keep, pure=False)
        rows = []
        for future in as_completed(futures):
            rows.append(future.result())
            if progress:
                progress(len(rows))
        n_workers = len(client.scheduler_info()["workers"])
    if cluster is not None:
        cluster.close()
    rows.sort(key=lambda r: r["seed"])
    report = summary(rows, sims, time.perf_counter() - start, n_workers, scheduler)
    write_json_and_markdown(Path(out_dir) / "regress.json", report, markdown(report))
    return report


def summary(rows: list[dict], sims, wall: float, workers: int, scheduler) -> dict:
    ran = [r for r in rows if r["verdict"] != "skipped"]
    hit = set().union(*(r.get("bins", []) for r in ran)) if ran else set()
    return {
        "cases": len(rows), "passed": sum(r["verdict"] == "pass" for r in rows),
        "failed": [r for r in rows if r["verdict"] == "fail"], "skipped": sum(r["verdict"] == "skipped" for r in rows),
        "simulators": list(sims), "wall_s": wall, "workers": workers, "scheduler": scheduler or "LocalCluster",
        "case_seconds_mean": float(np.mean([r["seconds"] for r in ran])) if ran else None,
        "coverage": {b: sum(b in r.get("bins", []) for r in ran) for b in BINS},
        "bins_hit": len(hit & set(BINS)), "bins": len(BINS),
        "design_bins": [sum(r["design_bins"][k] for r in ran if "design_bins" in r) for k in (0, 1)],
        "designs_closed": sum(r.get("missed") == [] for r in ran),
        "semantic_closed": sum(r.get("semantic_missed") == [] for r in ran), "rows": rows, "machine": machine(),
    }


def markdown(r: dict) -> str:
    lines = [
        "# Random regression of the RTL", "",
        f"{r['cases']} cases on {', '.join(r['simulators'])} ({r['workers']} Dask workers, {r['scheduler']}): "
        f"**{r['passed']} passed, {len(r['failed'])} failed**, {r['skipped']} skipped; {r['wall_s']:.0f} s in all, "
        f"{r['case_seconds_mean'] or 0:.1f} s per case on a worker. Coverage: {r['bins_hit']} / {r['bins']} bins hit.", "",
        "| bin | cases |", "|---|---|",
    ]
    lines += [f"| {b} | {n} |" for b, n in r["coverage"].items()]
    hit, wanted = r["design_bins"]
    lines += ["", f"Each design's own bins (per layer and lane, `verify.coverage`): {hit} of {wanted} hit over all cases "
                  f"({hit / max(wanted, 1):.1%}); {r['designs_closed']} of {r['cases'] - r['skipped']} designs had every bin hit, "
                  f"{r['semantic_closed']} every semantic bin hit or proven unreachable (their directed vectors, "
                  "`model.snn.closure`)."]
    if r["failed"]:
        lines += ["", "Failing cases (reproduce one with `spikegan regress --cases 1 --first SEED`):", ""]
        lines += [f"- seed {f['seed']} ({f['sim']}): {f['why']}" for f in r["failed"]]
    return "\n".join(lines) + "\n"


def add_arguments(parser) -> None:
    parser.add_argument("--cases", type=int, default=8, help="random cases to run")
    parser.add_argument("--first", type=int, default=0, help="seed of the first case (cases are seeds first, first+1, ...)")
    parser.add_argument("--sims", default=",".join(SIMULATORS), help="comma-separated simulators")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler (default: a LocalCluster)")
    parser.add_argument("--workers", type=int, default=None, help="LocalCluster workers (default: one per core)")
    add_out(parser, "reports/regress")
    parser.add_argument("--build-root", default="sim_builds/regress", help="where the cases are built")
    parser.add_argument("--keep-builds", action="store_true", help="keep passing cases' folders (failing ones are always kept)")


def run(args) -> int:
    from model.common.progress import with_progress
    from verify.sim import check_simulator

    sims = tuple(s for s in args.sims.split(",") if s)
    for s in sims:
        check_simulator(s)
    if not sims or args.cases < 1:
        raise UserError("give at least one simulator (--sims) and one case (--cases)")
    report = with_progress(args.cases, "regression", "case", lambda progress: regress(
        args.cases, args.first, sims, args.out, args.build_root, args.scheduler, args.workers, progress, args.keep_builds))
    print(markdown(report))
    print(f"report: {args.out}/report.md, regress.json")
    return 0 if not report["failed"] else 1
