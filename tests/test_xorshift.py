"""The shared xorshift32 source (`model.snn.xorshift`) against Marsaglia's published values and a shift-free reference."""

import numpy as np
import pytest

from model.common.errors import UserError
from model.snn.xorshift import Xorshift32, xorshift32, xorshift32_stream
from test_golden import ref_step  # the shift-free step of the golden model's independent reference


def test_xorshift32_matches_marsaglia():
    """Marsaglia (2003), xorshift32 from y = 2463534242: 723471715, 2497366906, 2064144800."""
    s, seq = 2463534242, []
    for _ in range(3):
        s = xorshift32(s)
        seq.append(s)
    assert seq == [723471715, 2497366906, 2064144800]
    assert xorshift32_stream(2463534242, 3).tolist() == seq
    rng = Xorshift32(2463534242)
    assert [rng.next() for _ in range(3)] == seq


def test_stream_matches_the_shift_free_reference():
    s, ref = 2463534242, []
    for _ in range(1000):
        s = ref_step(s)
        ref.append(s)
    assert xorshift32_stream(2463534242, 1000).tolist() == ref


def test_below_is_multiply_shift_and_in_range():
    a, b = Xorshift32(99), Xorshift32(99)
    for n in (1, 3, 40, 1000):
        for _ in range(50):
            assert a.below(n) == (b.next() * n) >> 32
    rng = Xorshift32(7)
    draws = [rng.below(3) for _ in range(3000)]
    assert set(draws) == {0, 1, 2} and max(np.bincount(draws)) < 1100  # all values, roughly uniform


@pytest.mark.parametrize("bad", [0, 1 << 32, -1])
def test_seed_must_be_nonzero_32_bit(bad):
    with pytest.raises(UserError, match="non-zero 32-bit"):
        Xorshift32(bad)
    with pytest.raises(UserError, match="non-zero 32-bit"):
        xorshift32_stream(bad, 3)
