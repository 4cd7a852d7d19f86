"""Reading spike times out of a VCD (hand-written here; the simulators' own VCDs are checked in the system test)."""

from __future__ import annotations

import numpy as np
import pytest

from model.common.errors import UserError
from verify.vcd import spike_trains

HEADER = """$timescale 1ps $end
$scope module sim_top $end
$var wire 3 ! probe_spikes1__index [2:0] $end
$var wire 2 " probe_spikes1__step [1:0] $end
$var wire 4 # probe_spikes1__total [3:0] $end
$upscope $end
$enddefinitions $end
#0
bx !
bx "
bx #
"""


def _vcd(tmp_path, body: str):
    path = tmp_path / "t.vcd"
    path.write_text(HEADER + body)
    return path


def test_spikes_of_the_first_image(tmp_path):
    # (step 0, neuron 1) and (0, 4) on consecutive clocks, (2, 4) later; then total returns to 0 and a
    # second image's spike (step 0, neuron 3) follows, which is not the first image's
    body = "#10\nb0 #\nb0 \"\nb0 !\n#20\nb1 !\nb1 #\n#30\nb100 !\nb10 #\n#60\nb10 \"\nb11 #\n"
    body += "#90\nb0 #\nb0 !\nb0 \"\n#100\nb11 !\nb1 #\n"
    trains = spike_trains(_vcd(tmp_path, body), (1, 5), 3, [1])[1]
    expected = np.zeros((3, 5), dtype=np.uint8)
    expected[0, 1] = expected[0, 4] = expected[2, 4] = 1
    assert np.array_equal(trains, expected)


def test_a_skipped_spike_is_an_error(tmp_path):
    body = "#10\nb0 #\nb0 \"\nb0 !\n#20\nb1 !\nb10 #\n"
    with pytest.raises(UserError, match="jumps from 0 to 2"):
        spike_trains(_vcd(tmp_path, body), (1, 5), 3, [1])


def test_missing_signal_is_explained(tmp_path):
    with pytest.raises(UserError, match="probe_spikes2__total"):
        spike_trains(_vcd(tmp_path, "#10\nb0 #\n"), (1, 5, 5), 3, [2])
