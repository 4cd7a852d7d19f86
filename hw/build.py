"""``make rtl``: the generator's Verilog, the ``$readmemh`` files it reads, a file list, lint.

`build` makes the generator of a loaded `model.snn.export.Export` (at its own or
another lane count); ``rtl.json`` records only what the RTL adds to the
export (top, lanes, stored vectors, files, lint status) and which export it
was built from, and `read_rtl_info` reads it back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from hw.ann_layer import value_bits
from hw.ann_twin import DESIGNS as ANN_DESIGNS
from hw.ann_twin import AnnTwin
from hw.board_top import BoardTop
from hw.fpga_top import FpgaTop
from hw.generator import Generator
from hw.rom import MEMORY_MODULES
from hw.verilog import lint, to_verilog
from model.common.errors import UserError
from model.common.files import update_file
from model.snn.config import ACTIVATION_FILE, NOISE_FILE, SPIKE_FILE, IntNetwork, SnnConfig
from model.snn.export import Export
from model.snn.golden import encode_spikes
from model.snn.layout import mem_text, pack_biases, pack_spikes, pack_weights

RTL_INFO = "rtl.json"  # how the RTL in a folder was built

TOP = "spikegan_generator"
FPGA_TOP = "spikegan_fpga"
ANN_TOP = "spikegan_ann"
BOARD_TOP = "spikegan_board"
# What a build makes of an export: the spiking generator, or (of an exact-TTFS export) its ANN twin
# (`hw.ann_twin`), dense or zero-skipping.
DESIGNS = ("snn", *ANN_DESIGNS)
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


def write_rtl(component, top: str, out_dir, mem_files: dict[str, tuple[list[int], int]] | None = None,
              verilog: str | None = None) -> RtlBuild:
    """Write ``component`` as ``{top}.v`` beside ``spikegan_rom.v`` and ``spikegan_ram.v``, the waivers (with the component's own
    ``lint_waivers``, if it has any) and ``files.f``.

    ``mem_files`` maps file name -> (words, width) for the ``$readmemh`` files the
    component's ROMs read; they are written to ``out_dir`` too, and simulators
    must run there (the ROMs name their files relative to it). ``verilog``:
    the component's text if the caller already converted it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    memories = [update_file(out_dir / f"{name}.v", text) for name, text in MEMORY_MODULES.items()]
    verilog = update_file(out_dir / f"{top}.v", verilog if verilog is not None else to_verilog(component, top))
    own = getattr(component, "lint_waivers", "")
    waivers = update_file(out_dir / WAIVERS, (_WAIVER_TEXT + own).format(verilog=verilog.name))
    mems = []
    for name, (words, width) in (mem_files or {}).items():
        mems.append(update_file(out_dir / name, mem_text(words, width)))
    update_file(out_dir / "files.f", "".join(f"{p.name}\n" for p in (*memories, verilog)))
    return RtlBuild(out_dir, top, [*memories, verilog], component, mems, waivers)


def layer_mem_files(config: SnnConfig, layer: int, weights, biases) -> dict[str, tuple[list[int], int]]:
    """Layer ``layer``'s weight and bias memory files for ``weights`` ``(N_l, N_{l-1})`` and ``biases``, in the
    exporter's packing (`model.snn.layout`) at the config's ``lanes``."""
    c = config
    return {c.weight_file(layer): (pack_weights(weights, c.lanes, c.weight_bits), c.weight_word_bits),
            c.bias_file(layer): (pack_biases(biases, c.lanes, c.membrane_bits), c.bias_word_bits)}


def network_mem_files(net: IntNetwork, noise_x, stored_trains: bool = True) -> dict[str, tuple[list[int], int]]:
    """The generator's memory files for ``net`` (at its config's ``lanes``) and encoder inputs ``X`` ``(V, N_0)``.

    Weights and biases use the exporter's packing (`model.snn.layout`), so at the
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
        files |= layer_mem_files(c, l, net.weights[l - 1], net.biases[l - 1])
    if stored_trains:
        spikes = encode_spikes(x, c)
        files[SPIKE_FILE] = ([w for v in spikes for w in pack_spikes(v)], c.sizes[0])
    files[NOISE_FILE] = ([int(v) for v in x.reshape(-1)], c.noise_bits)
    return files


def ann_mem_files(net: IntNetwork, noise_x) -> dict[str, tuple[list[int], int]]:
    """The ANN twin's memory files: the generator's weights and biases, and the activation ROM, ``T - X`` of every
    input of every vector (an input spiking at step ``X`` has the value ``T - X``; ``X = T``: no spike, 0)."""
    c = net.config
    files = {k: v for k, v in network_mem_files(net, noise_x, stored_trains=False).items() if k != NOISE_FILE}
    x = np.asarray(noise_x, dtype=np.int64)
    files[ACTIVATION_FILE] = ([int(c.timesteps - v) for v in x.reshape(-1)], value_bits(c.timesteps))
    return files


@dataclass(frozen=True)
class RtlInfo:
    """What ``rtl.json`` holds: what the RTL adds to the export it was built from."""

    top: str
    lanes: int
    vectors: int
    stored_trains: bool
    sources: list
    mem_files: list
    lint: str | None
    manifest: str | None = None  # the export (None: a network that was never exported)
    manifest_sha256: str | None = None
    design: str = "snn"  # one of DESIGNS


def check_design(net: IntNetwork, design: str) -> None:
    """Refuse a design that is not one of `DESIGNS`, or a twin of a network that is not exact-TTFS."""
    if design not in DESIGNS:
        raise UserError(f"design {design!r}: one of {', '.join(DESIGNS)}")
    if design != "snn" and net.config.neuron != "ramp":
        raise UserError(f"the ANN twin ({design}) computes exact-TTFS networks (neuron ramp), not "
                        f"{net.config.neuron!r} ones; convert with `spikegan convert` (the default)")


def _component(net: IntNetwork, x, fpga: bool, stored_trains: bool, design: str):
    """The top ``design`` makes of ``net`` (with ``len(x)`` stored vectors), its name and its memory files."""
    check_design(net, design)
    if design == "snn":
        top = FPGA_TOP if fpga else TOP
        return (FpgaTop if fpga else Generator)(net, len(x), stored_trains), top, network_mem_files(net, x, stored_trains)
    if fpga:
        return FpgaTop(net, len(x), twin=design), FPGA_TOP, ann_mem_files(net, x)
    return AnnTwin(net, len(x), design == "ann-dense"), ANN_TOP, ann_mem_files(net, x)


def build_generator(net: IntNetwork, noise_x, out_dir, run_lint: bool = True, fpga: bool = False,
                    stored_trains: bool = True, source: Export | None = None, design: str = "snn") -> RtlBuild:
    """Write the generator for ``net`` with the encoder inputs ``noise_x`` as its stored vectors.

    ``fpga``: wrap it in `FpgaTop` (top ``spikegan_fpga``, narrow registered pins) for place and route.
    ``stored_trains=False``: no stored spike trains, the on-chip encoder only (see `SpikeRom`); a
    direct-coded network never has any (see `DirectInput`).
    ``source``: the export ``net`` comes from, named in ``rtl.json``.
    ``design``: ``snn``, or an exact-TTFS network's ANN twin, ``ann-dense`` or ``ann-skip`` (`hw.ann_twin`).
    """
    stored_trains = stored_trains and not net.config.direct and design == "snn"
    x = np.asarray(noise_x)
    component, top, mem_files = _component(net, x, fpga, stored_trains, design)
    build = write_rtl(component, top, out_dir, mem_files)
    lint_status = None
    if run_lint:
        build.lint()
        lint_status = "verilator --lint-only -Wall: clean (waivers in lint_waivers.vlt)"
    info = RtlInfo(top, net.config.lanes, int(len(x)), stored_trains, [p.name for p in build.sources],
                   [p.name for p in build.mem_files], lint_status,
                   None if source is None else str(source.path), None if source is None else source.sha256, design)
    update_file(build.out_dir / RTL_INFO, json.dumps(asdict(info), indent=2) + "\n")
    return build


def build(export: Export, out_dir, lanes: int | None = None, run_lint: bool = True, fpga: bool = False,
          stored_trains: bool = True, design: str = "snn") -> RtlBuild:
    """The generator (or the FPGA top, or the ANN twin ``design``) of a loaded export, with all its test vectors,
    at ``lanes`` (default: the export's)."""
    return build_generator(export.net.with_lanes(lanes), export.noise_x, out_dir, run_lint, fpga, stored_trains,
                           source=export, design=design)


def read_rtl_info(rtl_dir) -> RtlInfo:
    """What `build_generator` wrote into ``rtl_dir``'s ``rtl.json``."""
    path = Path(rtl_dir) / RTL_INFO
    if not path.is_file():
        raise UserError(f"{rtl_dir} is not a folder spikegan rtl wrote (it has no {RTL_INFO}); "
                        f"write one with `spikegan rtl --manifest <export> --out {rtl_dir}`")
    try:
        return RtlInfo(**json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError) as e:
        raise UserError(f"{path} is not an rtl.json this version wrote ({e}); write the folder again with "
                        f"`spikegan rtl --manifest <export> --out {rtl_dir}`") from None


def export_tag(export: Export) -> int:
    """The 32-bit tag a board reports for the export it was built from: the first bytes of its sha256."""
    return int(export.sha256[:8], 16)


def board_mem_files(export: Export, design: str) -> dict[str, tuple[list[int], int]]:
    """The board top's memory files: the export's vectors and a scratch vector for run-time noise (zeros until
    the host writes it), no stored trains."""
    check_design(export.net, design)
    x = export.noise_x
    slots = np.vstack([x, np.zeros((1, x.shape[1]), dtype=np.int64)])
    if design == "snn":
        return network_mem_files(export.net, slots, stored_trains=False)
    return ann_mem_files(export.net, slots)


def build_board(export: Export, out_dir, divisor: int, timeout: int, design: str = "snn",
                run_lint: bool = True) -> RtlBuild:
    """The board top (`hw.board_top.BoardTop`, top ``spikegan_board``) of ``export`` (or its twin ``design``):
    the export's test vectors and a scratch vector for run-time noise, a UART at ``divisor`` clock cycles per
    bit, a frame time-out of ``timeout`` cycles."""
    net, x = export.net, export.noise_x
    top = BoardTop(net, len(x), divisor, timeout, design, tag=export_tag(export))
    build = write_rtl(top, BOARD_TOP, out_dir, board_mem_files(export, design))
    if run_lint:
        build.lint()
    info = RtlInfo(BOARD_TOP, net.config.lanes, int(len(x)), False, [p.name for p in build.sources],
                   [p.name for p in build.mem_files], "verilator --lint-only -Wall: clean" if run_lint else None,
                   str(export.path), export.sha256, design)
    update_file(build.out_dir / RTL_INFO, json.dumps(asdict(info), indent=2) + "\n")
    return build
