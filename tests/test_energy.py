"""The two energy models (`model.snn.energy`): the literature's float convention and integer widths plus weight reads."""

from __future__ import annotations

import pytest

from model.snn.energy import energy_table, snn_op_pj, ann_mac_pj


def test_the_literature_model_prices_every_op_as_a_float_add_and_every_mac_as_a_float_mac():
    table = energy_table(1000, 200, membrane_bits=24, weight_bits=8, accumulator_bits=24)["literature"]
    assert table["snn_uj"] == pytest.approx(1000 * 0.9e-6) and table["ann_uj"] == pytest.approx(200 * 4.6e-6)
    assert table["ratio"] == pytest.approx(900 / 920)


def test_the_integer_model_adds_a_weight_read_to_both_and_prices_widths():
    # 24-bit add 0.075 pJ + an 8-bit weight read 1.25 pJ; the MAC adds an 8 x 8 multiply (0.2 pJ)
    assert snn_op_pj("integer_memory", 24, 8) == pytest.approx(0.075 + 1.25)
    assert ann_mac_pj("integer_memory", 8, 24) == pytest.approx(0.2 + 0.075 + 1.25)
    assert ann_mac_pj("integer_memory", 16, 24) - ann_mac_pj("integer_memory", 8, 24) == pytest.approx(0.6 + 1.25)
    table = energy_table(1000, 0, membrane_bits=24, weight_bits=8, accumulator_bits=24)["integer_memory"]
    assert table["ratio"] is None and table["snn_uj"] == pytest.approx(1000 * 1.325e-6)


def test_an_unknown_model_is_refused():
    with pytest.raises(ValueError, match="energy model must be one of literature, integer_memory"):
        snn_op_pj("dram", 24, 8)
