"""cocotb testbench of the board top (`hw.board_top.BoardTop`) over its UART, with the host's protocol code.

Plan (from `verify.board.run_link`): ``manifest``, ``rtl_dir``, ``bit_ns`` (the UART's bit time) and ``items``,
run in order, each ``{"name", "kind", ...}``:

* ``info``: the board's INFO must match the export (`hw.protocol.check_info`);
* ``stored`` (``vector``), ``load`` (``x``), ``seed`` (``seed``): an image, whose values must equal the golden
  model's (`hw.board_top.golden_check`) for that noise;
* ``raw`` (``hex``, optional ``bad_stop_at``): bytes sent as they are, which must be refused with the status
  ``expect`` names, or with ``expect = "timeout"`` not be answered at all (the host's time-out).

Every item is followed by the next one on the same link, so a refused frame must leave the board ready.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import SimTimeoutError, with_timeout
from cocotb.utils import get_sim_time

from hw.board_top import golden_check, link_shape
from hw.build import export_tag
from hw.protocol import LinkError, ResponseParser, check_info, decode_image, info_command, load_command, \
    seed_command, stored_command
from model.snn.golden import draw_noise, run_noise
from verify.perf import cycle_budget, timeout_cycles
from verify.tb.clock import reset
from verify.tb.plan import load_plan_export, read_plan, write_result
from verify.tb.uart import UartSink, UartSource
from verify.wrapper import CLOCK_PERIOD_NS


class LinkTB:
    """The host's end of the link: a UART model on the board's pins and the protocol's response parser."""

    def __init__(self, dut, bit_ns: int):
        self.bit_ns = bit_ns
        self.source = UartSource(dut.rx, bit_ns)
        self.sink = UartSink(dut.tx, bit_ns)
        self.parser = ResponseParser()

    async def exchange(self, data: bytes, timeout_ns: int, bad_stop_at: int | None = None) -> bytes:
        """Send ``data`` and return the next response's payload; `LinkError` if the board refuses the frame, the
        response is corrupt, or none comes within ``timeout_ns`` of the frame's end."""
        await self.source.write(data, bad_stop_at)
        deadline = get_sim_time("ns") + timeout_ns
        while True:
            remaining = deadline - get_sim_time("ns")
            try:
                byte = await with_timeout(self.sink.queue.get(), max(1, remaining), "ns")
            except SimTimeoutError:
                raise LinkError(f"no response from the board within {timeout_ns:,} ns (time-out)", "timeout") from None
            payloads = self.parser.feed(bytes([byte]))
            if payloads:
                return payloads[0]

    def response_ns(self, payload_bytes: int) -> int:
        """Time to receive a response of ``payload_bytes``, with a margin of one frame header."""
        return (payload_bytes + 10) * 10 * self.bit_ns


def _image_input(item: dict, export, config):
    """The bytes (the item's ``prefix`` of line noise, then the frame) and the encoder inputs ``X`` of an image
    item."""
    prefix = bytes.fromhex(item.get("prefix", ""))
    if item["kind"] == "stored":
        return prefix + stored_command(item["vector"]), export.vectors[item["vector"]].noise_x
    if item["kind"] == "load":
        return prefix + load_command(item["x"]), item["x"]
    return prefix + seed_command(item["seed"]), draw_noise(item["seed"], config)


async def _run_item(tb: LinkTB, item: dict, export, shape, timeout_ns: int) -> dict:
    """One item's outcome: ``ok`` and what was seen."""
    config = export.config
    if item["kind"] == "info":
        check_info(await tb.exchange(info_command(), timeout_ns + tb.response_ns(15)), shape)
        return {"ok": True}
    if item["kind"] == "raw":
        try:
            payload = await tb.exchange(bytes.fromhex(item["hex"]), timeout_ns + tb.response_ns(0),
                                        item.get("bad_stop_at"))
        except LinkError as e:
            return {"ok": e.kind == item["expect"], "seen": e.kind, "message": str(e)}
        return {"ok": False, "seen": f"an answer of {len(payload)} bytes"}
    data, x = _image_input(item, export, config)
    budget = cycle_budget(config, run_noise(export.net, x).spikes, design=shape.design)
    limit = timeout_cycles(config, budget["serial_sum"]) * CLOCK_PERIOD_NS
    image = decode_image(await tb.exchange(data, limit + timeout_ns + tb.response_ns(shape.image_length())), shape)
    expected, wrong = golden_check(export.net, x, image.values)
    return {"ok": not wrong, "cycles": image.cycles, "values": list(image.values),
            "seen": f"{len(wrong)} of {len(expected)} values differ, first at neuron {wrong[0]}" if wrong else "match"}


@cocotb.test()
async def board_link_matches_golden(dut):
    """Every item of the plan over the UART: images equal the golden model's, bad frames refused by name."""
    plan = read_plan()
    export, info = load_plan_export(plan)
    shape = link_shape(export.net, info.vectors, info.design, export_tag(export))
    dut.rx.value = 1
    await reset(dut)
    tb = LinkTB(dut, int(plan["bit_ns"]))
    timeout_ns = int(plan["board_timeout_cycles"]) * CLOCK_PERIOD_NS + 20 * tb.bit_ns
    results, failures = [], []
    for item in plan["items"]:
        try:
            outcome = await _run_item(tb, item, export, shape, timeout_ns)
        except LinkError as e:
            outcome = {"ok": False, "seen": str(e)}
        results.append({"name": item["name"], **outcome})
        if not outcome["ok"]:
            failures.append(f"{item['name']}: {outcome['seen']}")
        dut._log.info("%s: %s", item["name"], "ok" if outcome["ok"] else outcome["seen"])
    write_result(plan, {"items": results, "error": "; ".join(failures), "skipped_bytes": tb.parser.skipped,
                        "framing_errors": tb.sink.framing_errors})
    assert not failures, "; ".join(failures)
