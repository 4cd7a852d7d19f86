"""``spikegan report`` (``make report``): the results summary of one run, generated from that run's reports.

It reads what ``make all`` (and ``make rate``, ``make exact``, ``make synth``,
when they ran) wrote: the ANN's ``metrics.json``, the default conversion's
``exact.json`` (or ``conversion.json`` when the run converted with the rate
converter), the rate converter's ``conversion.json``, the verification reports
and the synthesis report, and writes ``reports/summary.json`` and
``reports/summary.md``: the run's findings in a few lines, one table (image
quality of the ANN and the spiking generators with their floors,
bit-exactness, area, Fmax, images per second, energy) and the run's machine,
date and wall times with the load they were measured under. ``--pages
README.md docs`` then fills the results blocks of those pages from the
reports (`spikegan.pages`), so their numbers are this run's.
"""

from __future__ import annotations

import json
from pathlib import Path

from model.common.errors import UserError
from model.common.jsonio import write_json_and_markdown
from model.common.options import DEFAULT_RUN, add_out
from model.common.runinfo import machine
from spikegan.pages import fill, pages_in
from verify.run_report import fmt


def add_arguments(parser) -> None:
    parser.add_argument("--run", default=DEFAULT_RUN, help="the trained and converted network (make train convert)")
    parser.add_argument("--fpga-run", default="weights/gan-mnist-fpga",
                        help="the paper's FPGA network (make train-fpga convert-fpga), for area, Fmax and images/s")
    parser.add_argument("--reports", default="reports", help="where make verify and make synth wrote their reports")
    add_out(parser, "reports", "folder of summary.json and summary.md")
    parser.add_argument("--pages", nargs="*", default=None, metavar="PAGE",
                        help="Markdown pages, or folders of them (README.md docs), whose results blocks to fill from "
                             "the reports under --root (spikegan.pages) (default: none)")
    parser.add_argument("--root", default=".", help="the folder the pages' report paths are relative to")


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as e:
        raise UserError(f"{path} is not valid JSON ({e}); re-run the command that writes it") from None


def _exported_row(conv: dict) -> dict:
    """The sweep row of the exported configuration (its T, normalisation and reset)."""
    c, norm = conv["config"], conv["options"]["normalisation"]
    for row in conv["sweep"]:
        if (row["timesteps"], row["normalisation"], row["reset"]) == (c["timesteps"], norm, c["reset"]):
            return row
    raise UserError("conversion.json has no sweep row for its exported configuration; re-run make convert")


def _network(config: dict) -> str:
    """A network in a few words: its sizes, and "exact TTFS" for a ramp network, else its input coding."""
    sizes = "-".join(map(str, config["sizes"]))
    if config.get("neuron") == "ramp":
        return f"{sizes} exact TTFS"
    return f"{sizes} {config['coding']}-coded" if config.get("coding") else sizes


def _energy(nj: float) -> str:
    """Energy in nJ, or in uJ from 1,000 nJ."""
    return f"{nj / 1e3:,.2f} uJ" if nj >= 1e3 else f"{nj:,.1f} nJ"


def _exact_entry(report: dict) -> dict:
    """The exported point of the exact-TTFS report (`model.convert.exact_sweep`) and its peers."""
    t, clip = report["export"]["config"]["timesteps"], report["export"]["clip"]
    row = next((r for r in report["sweep"] if (r["timesteps"], r["clip"]) == (t, clip)), None)
    if row is None:
        raise UserError("exact.json has no sweep row for its exported T and clip; re-run make convert")
    return {"timesteps": t, "clip": clip, "images": report["images"], "fid_fixed": row.get("fid_fixed"),
            "fid_ann": report.get("fid_ann"), "floor_fid": report.get("fid_real_floor"),
            "spikes_per_neuron": row["spikes_per_neuron"][1:], "max_spikes_per_neuron": row["max_spikes_per_neuron"],
            "synaptic_ops": row["synaptic_ops"], "energy_uj": row["energy_uj"], "ann_energy_uj": row["ann_energy_uj"],
            "zero_skipping_ann_energy_uj": row["zero_skipping_ann_energy_uj"],
            "rate": [{"name": r["name"], "fid": r["fid_fixed"], "energy_ratio": {m: r["energy_uj"][m] / r["ann_energy_uj"][m]
                                                                             for m in r["energy_uj"]}} for r in report["rate"]]}


# Where a run's rate-converted generator reports: its default export when converted with the rate converter
# (CONVERT_FLAGS=--paper), else `make rate`'s.
RATE_FOLDERS = ("snn", "snn-direct")


def _rate_entry(conv: dict) -> dict:
    """The exported point of the rate converter's report (`model.convert.sweep`)."""
    row = _exported_row(conv)
    return {"timesteps": row["timesteps"], "normalisation": row["normalisation"], "reset": row["reset"],
            "coding": conv["config"].get("coding", "bernoulli"),
            "images": conv["images"], "fid_fixed": row.get("fid_fixed"), "fid_ann": conv.get("fid_ann"),
            "floor_fid": conv.get("fid_real_floor"), "synaptic_ops": row["fixed"]["synaptic_ops"],
            "energy_uj": row["fixed"]["energy_uj"], "ann_energy_uj": conv["ann_energy_uj"],
            "energy_uj_integer_memory": row["fixed"].get("energy_uj_integer_memory"),
            "ann_energy_uj_integer_memory": conv.get("ann_energy_uj_integer_memory")}


def _compare_entry(report: dict) -> dict:
    """The comparison of an exact-TTFS generator with its ANN twins (`verify.compare`): each design's energy from
    activity, its ratios to the zero-skipping twin, and whether it was bit-exact."""
    rows = {r.get("key", r["design"]): r for r in report["rows"]}
    return {"network": report["network"], "vectors": report["vectors"],
            "energy_nj": {d: sum(r["energy_pj"].values()) / 1e3 for d, r in rows.items()},
            "registers_and_leakage": all("registers" in r["energy_pj"] for r in rows.values()),
            "ratios": report["ratios"],
            "bit_exact": all(all(r["bit_exact"].values()) and r["activity_agrees"] for r in rows.values())}


def collect(run: Path, fpga_run: Path, reports: Path) -> dict:
    """Every figure of the summary, each with the file it comes from; a missing report leaves its entry out."""
    s = {"sources": {}, "stages": []}
    ann = _read(run / "metrics.json")
    if ann and "metrics" in ann:
        s["ann"] = {"fid": ann["metrics"]["fid"], "confident": ann["metrics"]["confident"], "n": ann["metrics"]["n"],
                    "floor_fid": ann["real_floor"]["fid"], "updates": ann["updates"]}
        s["sources"]["ann"] = str(run / "metrics.json")
        s["stages"].append(("train " + run.name, ann.get("wall_seconds"), ann.get("machine")))
    exact_path = run / "snn" / "report" / "exact.json"
    exact = _read(exact_path)
    if exact and "export" in exact:
        s["exact"] = _exact_entry(exact)
        s["sources"]["exact"] = str(exact_path)
        s["stages"].append((f"convert {run.name}", exact.get("seconds"), exact.get("machine")))
    for folder in RATE_FOLDERS:
        conv = _read(run / folder / "report" / "conversion.json")
        if conv:
            s["snn"] = _rate_entry(conv)
            s["sources"]["snn"] = str(run / folder / "report" / "conversion.json")
            s["stages"].append((f"convert {run.name}/{folder}", conv.get("seconds"), conv.get("machine")))
            break
    s["verify"] = []
    for path in sorted([*reports.glob("verify-*/report.json"), *reports.glob("exact/verify-*/report.json"),
                        *reports.glob("rate/verify-*/report.json")]):
        v = _read(path)
        s["verify"].append({"report": str(path), "simulator": v["simulator"], "network": _network(v["config"]),
                            "lanes": v["config"]["lanes"], "vectors": v["summary"]["images"],
                            "mismatching": v["summary"]["mismatching_images"], "ok": v["ok"],
                            "coverage_closed": v.get("coverage_closed"),
                            "mean_cycles": v["summary"]["mean_cycles"], "manifest": v["manifest"]})
        s["stages"].append((f"verify {path.parent.relative_to(reports).as_posix()}", v["summary"]["total_s"], v.get("machine")))
    for name in ("compare", "compare-full"):
        path = reports / name / "compare.json"
        cmp = _read(path)
        if cmp:
            s.setdefault("compare", []).append(_compare_entry(cmp) | {"source": str(path)})
            s["stages"].append((name, cmp.get("seconds"), cmp.get("machine")))
    synth = _read(reports / "synth" / "synth_report.json")
    if synth:
        t = synth["targets"]
        s["synth"] = {"network": synth["network"], "lanes": synth["config"]["lanes"],
                      "xc7": t.get("xc7", {}).get("resources"), "ecp5_fmax_mhz": t.get("ecp5", {}).get("fmax_min_mhz"),
                      "ecp5_target": t.get("ecp5", {}).get("target")}
        s["sources"]["synth"] = str(reports / "synth" / "synth_report.json")
        s["stages"].append(("synth", synth.get("seconds"), synth.get("machine")))
        fpga = next((v for v in s["verify"] if Path(v["manifest"]).resolve() == (fpga_run / "snn" / "manifest.json").resolve()
                     and v["lanes"] == s["synth"]["lanes"]), None)
        if fpga and fpga["mean_cycles"] and s["synth"]["ecp5_fmax_mhz"]:
            s["synth"]["images_per_s"] = s["synth"]["ecp5_fmax_mhz"] * 1e6 / fpga["mean_cycles"]
            s["synth"]["cycles_source"] = fpga["report"]
    recorded = [m for _, _, m in s["stages"] if m]
    s["machine"] = recorded[0] if recorded else machine()  # the run's machine, as its first report recorded it
    s["generated"] = machine()["date"]
    return s


def rows(s: dict) -> list[tuple[str, str, str, str]]:
    """(measure, value, beside it, source) for the table."""
    out = []
    if "ann" in s:
        a = s["ann"]
        out.append(("image quality, ANN GAN (classifier FID, lower is better)", f"{a['fid']:.2f}",
                    f"real data {a['floor_fid']:.2f} (n = {a['n']:,}); {a['confident']:.1%} of images classified confidently",
                    s["sources"]["ann"]))
    if "exact" in s:
        x = s["exact"]
        rate = "; ".join(f"rate converter, {r['name']}: FID {fmt(r['fid'], '.2f')}" for r in x["rate"])
        out.append((f"image quality, spiking generator: exact TTFS (one spike per neuron, T = {x['timesteps']}, "
                    f"clip {x['clip']})", fmt(x["fid_fixed"], ".2f"),
                    f"the ANN on the same {x['images']:,} noise vectors {fmt(x['fid_ann'], '.2f')}; real data "
                    f"{fmt(x['floor_fid'], '.2f')}; {rate}", s["sources"]["exact"]))
        for model, name in (("literature", "literature convention"), ("integer_memory", "integer datapath + weight reads")):
            snn, ann, skip = x["energy_uj"][model], x["ann_energy_uj"][model], x["zero_skipping_ann_energy_uj"][model]
            rate = "; ".join(f"rate converter, {r['name']}: {r['energy_ratio'][model]:.2f}x" for r in x["rate"])
            out.append((f"energy per image, exact TTFS ({name}, neuron updates included)", f"{snn:.2f} uJ",
                        f"{snn / ann:.2f}x the ANN's {ann:.2f} uJ, {snn / skip:.2f}x an ANN that skips zero activations; "
                        f"{rate}", s["sources"]["exact"]))
    if "snn" in s:
        n = s["snn"]
        out.append((f"image quality, rate-coded generator ({n['coding']} coding, T = {n['timesteps']}, "
                    f"{n['normalisation']})",
                    fmt(n["fid_fixed"], ".2f"),
                    f"the ANN on the same {n['images']} noise vectors {fmt(n['fid_ann'], '.2f')}; real data {fmt(n['floor_fid'], '.2f')}",
                    s["sources"]["snn"]))
        out.append(("energy per image, rate-coded (literature convention, synaptic operations)", f"{n['energy_uj']:.2f} uJ",
                    f"{n['energy_uj'] / n['ann_energy_uj']:.2f}x the ANN's {n['ann_energy_uj']:.2f} uJ; "
                    f"{n['synaptic_ops']:,.0f} operations", s["sources"]["snn"]))
        if n.get("energy_uj_integer_memory") is not None:
            snn, ann = n["energy_uj_integer_memory"], n["ann_energy_uj_integer_memory"]
            out.append(("energy per image, rate-coded (integer datapath + weight reads)", f"{snn:.2f} uJ",
                        f"{snn / ann:.2f}x the ANN's {ann:.2f} uJ (`model.snn.energy`, integer_memory)", s["sources"]["snn"]))
    for x in s.get("compare", []):
        r, e = x["ratios"], x["energy_nj"]
        out.append((f"energy per image from simulated activity, {x['network']} exact TTFS (docs/energy.md)",
                    _energy(e["snn"]),
                    f"{r['snn']['energy_activity']:.2f}x an ANN twin that skips zero activations ({_energy(e['ann-skip'])}), "
                    f"{r['snn']['energy_activity'] / r['ann-dense']['energy_activity']:.2f}x a dense one; op-count models: "
                    f"{r['snn']['energy_literature']:.2f}x (literature), {r['snn']['energy_integer_memory']:.2f}x "
                    f"(integer + memory); {r['snn']['cycles']:.2f}x the skipping twin's cycles", x["source"]))
    for v in s["verify"]:
        out.append((f"bit-exact RTL, {v['network']} P = {v['lanes']} ({v['simulator']})",
                    f"{v['vectors'] - v['mismatching']} / {v['vectors']} vectors",
                    f"every layer's spikes vs the golden model; {fmt(v['mean_cycles'], ',.0f')} cycles per image", v["report"]))
    if "synth" in s:
        y = s["synth"]
        if y["xc7"]:
            out.append((f"area, {y['network']} P = {y['lanes']} (xc7a100t, Yosys)",
                        f"{y['xc7']['lut']:,} LUT / {y['xc7']['ff']:,} FF", f"{y['xc7']['bram36_equiv']} RAMB36 equivalents",
                        s["sources"]["synth"]))
        if y["ecp5_fmax_mhz"]:
            out.append((f"Fmax, {y['network']} ({y['ecp5_target']})", f"{y['ecp5_fmax_mhz']:.1f} MHz", "nextpnr",
                        s["sources"]["synth"]))
        if "images_per_s" in y:
            out.append(("images per second at that Fmax", f"{y['images_per_s']:,.0f}", "Fmax / simulated cycles per image",
                        y["cycles_source"]))
    return out


def table(s: dict) -> list[str]:
    """The summary table, the stages' wall times, and what the run left out."""
    lines = [
        "| measure | value | beside it | from |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | `{d}` |" for a, b, c, d in rows(s)],
    ]
    if s["stages"]:
        timed = [f"{name} {fmt(sec, ',.0f')} s (load {fmt((mach or {}).get('load_1min'), '.1f')})" for name, sec, mach in s["stages"]]
        lines += ["", "Wall times, with the 1-minute load average when each finished: " + "; ".join(timed) + "."]
    if not s["verify"] or "synth" not in s:
        missing = [what for what, ok in (("make verify", s["verify"]), ("make synth", "synth" in s)) if not ok]
        lines += ["", f"Not in this run: {', '.join(missing)} (run them, then `make report`)."]
    return lines


def findings(s: dict) -> list[str]:
    """The run's findings in a line each: the default (exact TTFS) generator's images and energy under both models,
    the rate-coded generator (when the run has its report), bit-exactness."""
    out = []
    if "exact" in s:
        x = s["exact"]
        ratio = {m: x["energy_uj"][m] / x["ann_energy_uj"][m] for m in x["energy_uj"]}
        skip = {m: x["energy_uj"][m] / x["zero_skipping_ann_energy_uj"][m] for m in x["energy_uj"]}
        out.append(f"- **Images:** the spiking generator (exact TTFS, one spike per neuron, T = {x['timesteps']}) "
                   f"scores classifier FID {fmt(x['fid_fixed'], '.1f')} where the ANN scores {fmt(x['fid_ann'], '.1f')} "
                   f"on the same {x['images']:,} noise vectors (real digits: {fmt(x['floor_fid'], '.1f')}; lower is better).")
        out.append(f"- **Energy:** {ratio['literature']:.2f}x the ANN's per image when a synaptic operation costs what "
                   f"the SNN literature assumes, {ratio['integer_memory']:.2f}x once every operation pays its weight read "
                   f"(integer datapath + SRAM); against an ANN that skips zero activations {skip['literature']:.2f}x and "
                   f"{skip['integer_memory']:.2f}x.")
    if "snn" in s:
        n = s["snn"]
        line = (f"- **Rate-coded:** the rate converter's generator ({n['coding']} coding, T = {n['timesteps']}) scores "
                f"FID {fmt(n['fid_fixed'], '.1f')} where the ANN scores {fmt(n['fid_ann'], '.1f')} on the same "
                f"{n['images']} noise vectors, for {n['energy_uj'] / n['ann_energy_uj']:.2f}x the ANN's energy under "
                "the literature convention")
        if n.get("energy_uj_integer_memory") is not None:
            line += f" and {n['energy_uj_integer_memory'] / n['ann_energy_uj_integer_memory']:.2f}x with every weight read paid"
        out.append(line + ".")
    if s.get("compare"):
        parts = [f"{x['network']}: {x['ratios']['snn']['energy_activity']:.2f}x its energy per image counted from "
                 f"simulated activity{', registers and leakage included' if x['registers_and_leakage'] else ''} "
                 f"({x['ratios']['snn']['energy_literature']:.2f}x and "
                 f"{x['ratios']['snn']['energy_integer_memory']:.2f}x under the two op-count models) and "
                 f"{x['ratios']['snn']['cycles']:.2f}x its cycles" for x in s["compare"]]
        out.append("- **Should it spike?** Beside an ANN accelerator built from the same export that skips zero "
                   "activations (bit-identical images), the exact-TTFS generator takes, on " + "; on ".join(parts) + ".")
    if s["verify"]:
        exact = sum(v["vectors"] - v["mismatching"] for v in s["verify"])
        total = sum(v["vectors"] for v in s["verify"])
        sims = sorted({v["simulator"] for v in s["verify"]})
        nets = ", ".join(sorted({v["network"] for v in s["verify"]}))
        closed = sum(bool(v.get("coverage_closed")) for v in s["verify"])
        out.append(f"- **Bit-exact:** the RTL gives the golden model's spikes in every layer on {exact} of {total} images "
                   f"(test and directed vectors) under {' and '.join(sims)} ({nets}); {closed} of the "
                   f"{len(s['verify'])} runs closed their coverage (every semantic bin hit or proven unreachable).")
    return out


def markdown(s: dict) -> str:
    """The summary page: the findings, the table, and the machine the run was on."""
    m = s["machine"]
    lines = ["# Results summary", "", *findings(s), "", *table(s), "",
             f"The run of {m['date']} on {m['cpus']} CPU(s) ({m['cpu']}), {fmt(m['memory_gib'], '.0f')} GiB, "
             f"Python {m['python']}, commit {m.get('commit', '?')}; generated by `spikegan report` on {s['generated']} "
             "from the reports named above."]
    return "\n".join(lines) + "\n"


def run(args) -> int:
    s = collect(Path(args.run), Path(args.fpga_run), Path(args.reports))
    if not any(k in s for k in ("ann", "exact", "snn")) and not s["verify"]:
        raise UserError(f"no reports found under {args.run} or {args.reports}; run `make all` first")
    out = Path(args.out)
    text = markdown(s)
    s.update(findings=findings(s), table=table(s))  # as the pages show them (`spikegan.pages`)
    write_json_and_markdown(out / "summary.json", s, text, out / "summary.md", indent=2)
    print(text)
    print(f"wrote {out / 'summary.md'}, {out / 'summary.json'}")
    for page in pages_in(args.pages or []):
        filled, left = fill(page, Path(args.root))
        print(f"{page}: filled {', '.join(filled) or 'nothing'}" + (f"; no report yet for {', '.join(left)}" if left else ""))
    return 0
