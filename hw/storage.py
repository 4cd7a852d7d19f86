"""The storage of a generated design: its flip-flops and its memories, read from the Verilog Yosys wrote.

What holds state in the generator's Verilog is plain to see: a register is a ``reg`` assigned in an
``always @(posedge clk)`` block, a memory is a ``reg`` array or an instance of the ROM and RAM modules
(`hw.rom`, ``spikegan_rom`` / ``spikegan_ram`` with their ``DEPTH`` and ``WIDTH``). The energy model counts
the bits of both (`verify.activity`), and a simulation built to count them watches every register bit for
changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `reg [msb:0] name = init;` or `reg name;`, and `reg [msb:0] name [depth-1:0];` (a memory)
_REG = re.compile(r"^\s*reg\s+(?:\[(\d+):(\d+)\]\s+)?(\\\S+|[A-Za-z_][\w$]*)\s*(\[(\d+):(\d+)\])?\s*(?:=[^;]*)?;",
                  re.MULTILINE)
# the target of a non-blocking assignment, a statement's first word or the one after `if (...)` or `else`:
# `name <=` or `name [bits] <=`
_TARGET = re.compile(r"(?:^\s*|\)\s*|\belse\s+)(\\\S+|\b[A-Za-z_][\w$]*)\s*(?:\[[^\]]*\]\s*)?<=", re.MULTILINE)
# a clocked block: up to the module's next item or its end
_CLOCKED = re.compile(r"always @\(posedge clk\)(.*?)"
                      r"(?=\n(?:  (?:always|assign|reg|wire|initial|end|[\w\\]+ [#(\\\w])|endmodule))", re.DOTALL)
_MEMORY_INSTANCE = re.compile(r"spikegan_r[oa]m\s*#\(\s*\.DEPTH\(32'd(\d+)\),.*?\.WIDTH\(32'd(\d+)\)\s*\)\s*(\\\S+|\w+)",
                              re.DOTALL)


@dataclass(frozen=True)
class Storage:
    """The flip-flops (``registers``: Verilog name and width) and memories (name, depth, width: ``arrays``, the
    module's own ``reg`` arrays, and ``instances`` of the ROM and RAM modules) of one module."""

    registers: tuple[tuple[str, int], ...]
    arrays: tuple[tuple[str, int, int], ...]
    instances: tuple[tuple[str, int, int], ...]

    @property
    def memories(self) -> tuple[tuple[str, int, int], ...]:
        return self.arrays + self.instances

    @property
    def register_bits(self) -> int:
        return sum(w for _, w in self.registers)

    @property
    def memory_bits(self) -> int:
        return sum(d * w for _, d, w in self.memories)

    def totals(self) -> dict[str, int]:
        """Its ``register_bits`` and ``memory_bits``, as a report records them."""
        return {"register_bits": self.register_bits, "memory_bits": self.memory_bits}


def storage(verilog: str) -> Storage:
    """The `Storage` of the one flattened module in ``verilog`` (the generator's or the twin's top)."""
    widths, arrays = {}, {}
    for msb, lsb, name, array, hi, lo in _REG.findall(verilog):
        width = int(msb) - int(lsb) + 1 if msb else 1
        if array:
            arrays[name] = (abs(int(hi) - int(lo)) + 1, width)
        else:
            widths[name] = width
    clocked = {t for block in _CLOCKED.findall(verilog) for t in _TARGET.findall(block)}
    registers = tuple((name, widths[name]) for name in sorted(clocked) if name in widths)
    instances = tuple((name, int(d), int(w)) for d, w, name in _MEMORY_INSTANCE.findall(verilog))
    return Storage(registers, tuple((name, d, w) for name, (d, w) in sorted(arrays.items())), instances)
