"""The report of ``python -m verify run``: ``report.json`` and a short ``report.md`` (per-image table, summary, figures)."""

from __future__ import annotations

from pathlib import Path

from model.common.jsonio import write_json_and_markdown
from model.snn.config import SnnConfig
from verify.coverage import coverage_line

# An image's input (`verify.flow.source_name`) in words
SOURCE_WORDS = {"rom": "stored spike trains", "encoder": "on-chip encoder", "current": "layer-1 current (direct coding)"}


def write_report(report: dict, out_dir: Path) -> None:
    write_json_and_markdown(out_dir / "report.json", report, markdown(report), indent=1)


def fmt(x, spec: str = ",.4g") -> str:
    """``x`` formatted by ``spec``, or "n/a" for a figure a report does not have."""
    return "n/a" if x is None else format(x, spec)


def _design(report: dict) -> str:
    """The design verified, in words, when it is not the spiking generator."""
    words = {"ann-dense": "The ANN twin (dense: every activation) of the", "ann-skip": "The ANN twin (zero-skipping) of the"}
    design = report.get("design", "snn")
    return "" if design == "snn" else f"{words[design]} "


def markdown(report: dict) -> str:
    """The report as a short Markdown page: the per-image table, the summary, the figures."""
    s = report["summary"]
    lines = [
        f"# RTL verification ({report['simulator']})",
        "",
        f"{_design(report)}{SnnConfig.from_dict(report['config']).describe()}. Manifest `{report['manifest']}`. "
        f"Lint: {report['lint']}.",
        "",
        *image_table(report["images"], s["clock_mhz"]),
    ]
    verdict = "all images match the golden model bit for bit" if report["ok"] else (
        f"MISMATCH: first divergence {report['first_divergence']}"
    )
    lines += [
        "",
        f"**{verdict}** ({s['images']} images; every layer's spike counts and spike trains compared).",
        "",
        *timing_lines(s),
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


def image_table(images: list[dict], clock_mhz: float) -> list[str]:
    """One row per image: its input, its MSE against each reference, its mismatches and its cycles."""
    lines = [
        "| test vector | input | MSE vs golden | MSE vs float SNN | MSE vs ANN | mismatched neurons per layer | "
        f"mismatched spikes | cycles | us at {clock_mhz:g} MHz | lower bound | cycles / lower bound | wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in images:
        spikes = sum(r["mismatched_spikes"].values())
        label = r["vector"] if r.get("directed") is None else f"directed {r['directed']}"
        lines.append(
            f"| {label} | {SOURCE_WORDS[r['source']]} | {r['mse_vs_golden']:.3g} | "
            f"{fmt(r['mse_vs_float_snn'], '.3g')} | {fmt(r['mse_vs_ann'], '.3g')} | "
            f"{' / '.join(map(str, r['mismatched_neurons']))} | {spikes} | {r['cycles']:,} | {r['us_at_clock']:,.2f} | "
            f"{r['lower_bound']:,} | {r['cycles_over_bound']:.3f} | {r['wall_s']:.1f} |"
        )
    return lines


def timing_lines(s: dict) -> list[str]:
    """The time per image at the named clock, and the cycles against their lower bound and the serial sum."""
    if s["mean_cycles"] is None:
        return ["- time per image: n/a (no image finished)"]
    return [
        f"- time per image: {s['mean_cycles']:,.0f} cycles on average = {s['mean_us_at_clock']:,.2f} us at "
        f"{s['clock_mhz']:g} MHz ({1e6 / s['mean_us_at_clock']:,.0f} images/s), the clock `spikegan synth` "
        "constrains its ECP5 and Artix-7 builds to",
        f"- cycles / lower bound: mean {s['mean_cycles_over_bound']:.3f}, min {s['min_cycles_over_bound']:.3f}, "
        f"max {s['max_cycles_over_bound']:.3f}. The lower bound is what no run can beat: the busiest chain of one "
        "layer's own work, what the layers before it must do before it starts and the layers after it after it ends "
        "(docs/hardware-architecture.md, cycle budget); the rest is pipeline latency and stalls",
        f"- the layers one after another would need {s['mean_serial_sum']:,.0f} cycles on average (serial sum); the "
        f"pipelined layers need {s['mean_cycles'] / s['mean_serial_sum']:.2f} of that",
    ]
