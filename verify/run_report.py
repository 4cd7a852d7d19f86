"""The report of ``python -m verify run``: ``report.json`` and a short ``report.md`` (per-image table, summary, figures)."""

from __future__ import annotations

from pathlib import Path

from model.common.jsonio import write_json_and_markdown
from verify.coverage import coverage_line


def write_report(report: dict, out_dir: Path) -> None:
    write_json_and_markdown(out_dir / "report.json", report, markdown(report), indent=1)


def fmt(x, spec: str = ",.4g") -> str:
    """``x`` formatted by ``spec``, or "n/a" for a figure a report does not have."""
    return "n/a" if x is None else format(x, spec)


def markdown(report: dict) -> str:
    """The report as a short Markdown page: the per-image table, the summary, the figures."""
    c = report["config"]
    s = report["summary"]
    lines = [
        f"# RTL verification ({report['simulator']})",
        "",
        f"Network {'-'.join(map(str, c['sizes']))}, T = {c['timesteps']}, P = {c['lanes']} lanes, "
        f"q = {c['weight_bits']}, m = {c['membrane_bits']}, reset {c['reset']}, leak {c['leak_shift']}. "
        f"Manifest `{report['manifest']}`. Lint: {report['lint']}.",
        "",
        "| vector | source | MSE vs golden | MSE vs float SNN | MSE vs ANN | mismatched neurons per layer | mismatched spikes | cycles | lower bound | cycles / bound | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["images"]:
        spikes = sum(r["mismatched_spikes"].values())
        lines.append(
            f"| {r['vector']} | {r['source']} | {r['mse_vs_golden']:.3g} | {fmt(r['mse_vs_float_snn'], '.3g')} | "
            f"{fmt(r['mse_vs_ann'], '.3g')} | {' / '.join(map(str, r['mismatched_neurons']))} | {spikes} | "
            f"{r['cycles']:,} | {r['lower_bound']:,} | {r['cycles_over_bound']:.3f} | {r['wall_s']:.1f} |"
        )
    verdict = "all images match the golden model bit for bit" if report["ok"] else (
        f"MISMATCH: first divergence {report['first_divergence']}"
    )
    lines += [
        "",
        f"**{verdict}** ({s['images']} images; every layer's spike counts and spike trains compared).",
        "",
        f"- cycles per image: mean {fmt(s['mean_cycles'], ',.0f')}; cycles / event-driven lower bound: mean "
        f"{fmt(s['mean_cycles_over_bound'], '.3f')}, max {fmt(s['max_cycles_over_bound'], '.3f')} (the bound "
        "sums the layers; the layers run as a pipeline, so the ratio can be below 1)",
        f"- wall time: {s['total_s']:.0f} s in all (RTL build + lint {s['build_s']:.0f} s, simulator incl. compile "
        f"{s['simulator_s']:.0f} s, {fmt(s['mean_image_wall_s'], '.1f')} s per image)",
    ]
    if "mean_mse_vs_float_snn" in s:
        lines.append(
            f"- image MSE of the RTL vs the float SNN: {fmt(s['mean_mse_vs_float_snn'], '.3g')}, vs the ANN: "
            f"{fmt(s['mean_mse_vs_ann'], '.3g')} (the paper reports 3.02e-5 .. 1.0e-4 for RTL vs software)"
        )
    else:
        lines.append(f"- {report['references']}")
    if report.get("vcd"):
        v = report["vcd"]
        lines.append(
            f"- waveform `{v['file']}` (vector {v['vector']}): spike times recovered with vcdvcd "
            f"{'equal' if v['ok'] else 'DIFFER from'} the golden model's ({' / '.join(map(str, v['spikes_per_layer']))} spikes per layer)"
        )
    if report.get("coverage"):
        lines.append(f"- {coverage_line(report['coverage'])}")
    if report.get("shipped_rtl"):
        r = report["shipped_rtl"]
        lines.append(f"- shipped RTL `{r['dir']}`: " + (f"its {r['files']} Verilog and .mem files are the RTL verified"
                     if r["identical"] else f"DIFFERS from the RTL verified: {', '.join(r['differ'])}"))
    lines.append("")
    lines += [f"![{f}]({f})" for f in report["figures"]]
    return "\n".join(lines) + "\n"
