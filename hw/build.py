"""``make rtl``: the generator's Verilog, the ``$readmemh`` files it reads, a file list, lint."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hw.common import ROM_MODULE, ROM_VERILOG
from hw.fpga_top import FpgaTop
from hw.generator import Generator
from hw.spike_rom import NOISE_FILE, SPIKE_FILE
from hw.verilog import lint, to_verilog
from model.errors import UserError
from model.export import pack_biases, pack_spikes, pack_weights, write_mem
from model.golden import encode_spikes
from model.snn_config import IntNetwork

RTL_INFO = "rtl.json"  # how the RTL in a folder was built

TOP = "spikegan_generator"
FPGA_TOP = "spikegan_fpga"
WAIVERS = "lint_waivers.vlt"

# Each waiver names the rule, the file it applies to, and why it is no bug.
_WAIVER_TEXT = """\
`verilator_config
// Waivers for {verilog}, which Yosys' write_verilog generates from Amaranth.
// WIDTHEXPAND / WIDTHTRUNC: Yosys writes operands at their own widths and
// relies on Verilog's context-determined extension (e.g. `a + b` with a 6-bit
// b inside a 13-bit sum, `!x` on a multi-bit x); those are Amaranth's own
// width rules, checked by the cocotb tests bit for bit against the golden model.
lint_off -rule WIDTHEXPAND -file "*{verilog}"
lint_off -rule WIDTHTRUNC -file "*{verilog}"
// UNUSEDSIGNAL, Yosys-internal nets only (names starting with $): carry-out
// bits of adders and the spare halves of split concatenations.
lint_off -rule UNUSEDSIGNAL -file "*{verilog}" -match "*not used: '$*"
// UNUSEDSIGNAL, single bits of named wires: Yosys keeps one named wire per
// Amaranth signal and reads some of its bits through another alias of the same
// net; a wholly unused named signal is still reported.
lint_off -rule UNUSEDSIGNAL -file "*{verilog}" -match "Bits of signal are not used*"
"""


@dataclass
class RtlBuild:
    """What `write_rtl` wrote: Verilog sources in compile order, memory files, lint waivers."""

    out_dir: Path
    top: str
    sources: list[Path]
    component: object = None  # the elaborated Amaranth component (its signature names the ports)
    mem_files: list[Path] = field(default_factory=list)
    waivers: Path | None = None

    def lint(self) -> str:
        return lint(self.sources, self.top, self.waivers)


def write_rtl(component, top: str, out_dir, mem_files: dict[str, list[tuple[list[int], int]]] | None = None) -> RtlBuild:
    """Write ``component`` as ``{top}.v`` beside ``spikegan_rom.v``, the waivers and ``files.f``.

    ``mem_files`` maps file name -> (words, width) for the ``$readmemh`` files the
    component's ROMs read; they are written to ``out_dir`` too, and simulators
    must run there (the ROMs name their files relative to it).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rom = _update(out_dir / f"{ROM_MODULE}.v", ROM_VERILOG)
    verilog = _update(out_dir / f"{top}.v", to_verilog(component, top))
    waivers = _update(out_dir / WAIVERS, _WAIVER_TEXT.format(verilog=verilog.name))
    mems = []
    for name, (words, width) in (mem_files or {}).items():
        tmp = out_dir / (name + ".tmp")
        write_mem(tmp, words, width)
        mems.append(_update(out_dir / name, tmp.read_text()))
        tmp.unlink()
    _update(out_dir / "files.f", "".join(f"{p.name}\n" for p in (rom, verilog)))
    return RtlBuild(out_dir, top, [rom, verilog], component, mems, waivers)


def _update(path: Path, text: str) -> Path:
    """Write ``text`` unless the file already holds it (keeps mtimes, so simulators skip rebuilds)."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def network_mem_files(net: IntNetwork, noise_x, stored_trains: bool = True) -> dict[str, tuple[list[int], int]]:
    """The generator's memory files for ``net`` (at its config's ``lanes``) and encoder inputs ``X`` ``(V, N_0)``.

    Weights and biases use the exporter's packing (`model.export`), so at the
    exported ``lanes`` they are byte-identical to the exported files; the Spike
    ROM holds the concatenated ``vector{n}_spikes.mem`` and the encoder ROM the
    concatenated ``vector{n}_noise.mem``.
    """
    c = net.config
    x = np.asarray(noise_x, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != c.sizes[0] or len(x) < 1:
        raise UserError(f"need encoder inputs of shape (V >= 1, {c.sizes[0]}), got {x.shape}")
    files = {}
    for l in range(1, c.layers + 1):
        files[f"layer{l}_weights.mem"] = (pack_weights(net.weights[l - 1], c.lanes, c.weight_bits), c.lanes * c.weight_bits)
        files[f"layer{l}_bias.mem"] = (pack_biases(net.biases[l - 1], c.lanes, c.membrane_bits), c.lanes * c.membrane_bits)
    if stored_trains:
        spikes = encode_spikes(x, c)
        files[SPIKE_FILE] = ([w for v in spikes for w in pack_spikes(v)], c.sizes[0])
    files[NOISE_FILE] = ([int(v) for v in x.reshape(-1)], c.input_bits + 1)
    return files


def build_generator(net: IntNetwork, noise_x, out_dir, run_lint: bool = True, fpga: bool = False,
                    stored_trains: bool = True) -> RtlBuild:
    """Write the generator for ``net`` with the encoder inputs ``noise_x`` as its stored vectors.

    ``fpga``: wrap it in `FpgaTop` (top ``spikegan_fpga``, narrow registered pins) for place and route.
    ``stored_trains=False``: no stored spike trains, the on-chip encoder only (see `SpikeRom`).
    """
    x = np.asarray(noise_x)
    top = FPGA_TOP if fpga else TOP
    component = (FpgaTop if fpga else Generator)(net, len(x), stored_trains)
    build = write_rtl(component, top, out_dir, network_mem_files(net, x, stored_trains))
    c = net.config
    info = {
        "top": top,
        "config": c.to_dict(),
        "thresholds": [int(t) for t in net.thresholds],
        "vectors": int(len(x)),
        "stored_trains": stored_trains,
        "sources": [p.name for p in build.sources],
        "mem_files": [p.name for p in build.mem_files],
        "lint": None,
    }
    if run_lint:
        build.lint()
        info["lint"] = "verilator --lint-only -Wall: clean (waivers in lint_waivers.vlt)"
    (build.out_dir / RTL_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return build


def read_rtl_info(rtl_dir) -> dict:
    """What `build_generator` wrote into ``rtl_dir``'s ``rtl.json``: top, configuration, files, lint status."""
    path = Path(rtl_dir) / RTL_INFO
    if not path.is_file():
        raise UserError(f"{path} not found; run 'make rtl' (python -m hw rtl) first.")
    return json.loads(path.read_text())
