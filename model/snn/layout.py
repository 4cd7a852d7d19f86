"""The memory layout of ``docs/hardware-semantics.md``: lanes packed into words, and ``$readmemh`` files.

Lane ``p`` of a word holds bits ``[p*bits, (p+1)*bits)`` in two's complement.
The exporter (`model.snn.export`), the RTL builder (`hw.build`) and the
testbenches (``verify/tb/``) pack and unpack words only through here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.common.errors import UserError
from model.snn.config import groups_of

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def pack_lanes(values: np.ndarray, bits: int) -> list[int]:
    """Rows of lane values ``(depth, P)`` to words: lane ``p`` in bits ``[p*bits, (p+1)*bits)``, two's complement."""
    values = np.asarray(values, dtype=np.int64)
    depth, lanes = values.shape
    if depth == 0:
        return []
    unsigned = values.astype(np.uint64) & np.uint64((1 << bits) - 1)
    bit = ((unsigned[:, :, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    bit = bit.reshape(depth, lanes * bits)  # LSB first
    digits = -(-lanes * bits // 4)
    bit = np.pad(bit, ((0, 0), (0, digits * 4 - lanes * bits)))
    nibbles = bit.reshape(depth, digits, 4) @ np.array([1, 2, 4, 8], dtype=np.uint8)
    text = _HEX[nibbles[:, ::-1]].tobytes().decode("ascii")
    return [int(text[r * digits : (r + 1) * digits], 16) for r in range(depth)]


def unpack_lanes(words, lanes: int, bits: int, signed: bool) -> np.ndarray:
    """Words to lane values ``(depth, P)``; raises `UserError` if a word is wider than ``P * bits``."""
    width = lanes * bits
    words = list(words)
    too_wide = [k for k, word in enumerate(words) if not 0 <= word < 1 << width]
    if too_wide:
        raise UserError(f"word {too_wide[0]} ({words[too_wide[0]]:#x}) does not fit its declared width of {width} bits")
    if not words:
        return np.zeros((0, lanes), dtype=np.int64)
    digits = -(-width // 4)
    text = np.frombuffer("".join(f"{w:0{digits}x}" for w in words).encode("ascii"), dtype=np.uint8)
    nibbles = np.where(text >= ord("a"), text - ord("a") + 10, text - ord("0")).reshape(len(words), digits)[:, ::-1]
    bit = (nibbles[:, :, None] >> np.arange(4, dtype=np.uint8)) & 1  # (depth, digits, 4), LSB first
    bit = bit.reshape(len(words), digits * 4)[:, :width].reshape(len(words), lanes, bits).astype(np.int64)
    values = bit @ (np.int64(1) << np.arange(bits, dtype=np.int64))
    if signed:
        values = values - (bit[:, :, -1] << bits)
    return values


def pack_weights(w, lanes: int, bits: int) -> list[int]:
    """``W_l`` ``(N_l, N_{l-1})`` to weight-memory words.

    Word ``i*G + g`` holds neurons ``g*P .. g*P+P-1`` of input ``i``; lanes past ``N_l`` are 0.
    """
    w = np.asarray(w, dtype=np.int64)
    n_out, n_in = w.shape
    groups = groups_of(n_out, lanes)
    padded = np.zeros((n_in, groups * lanes), dtype=np.int64)
    padded[:, :n_out] = w.T
    return pack_lanes(padded.reshape(n_in * groups, lanes), bits)


def unpack_weights(words, n_out: int, n_in: int, lanes: int, bits: int) -> np.ndarray:
    """Inverse of `pack_weights`; refuses a wrong depth or non-zero padding lanes."""
    groups = groups_of(n_out, lanes)
    if len(words) != n_in * groups:
        raise UserError(
            f"weight memory has {len(words)} words, expected N_in * G = {n_in} * {groups} = {n_in * groups}"
        )
    padded = unpack_lanes(words, lanes, bits, signed=True).reshape(n_in, groups * lanes)
    if np.any(padded[:, n_out:]):
        raise UserError(f"weight memory has non-zero values in the padding lanes past neuron {n_out - 1}")
    return np.ascontiguousarray(padded[:, :n_out].T)


def pack_biases(b, lanes: int, bits: int) -> list[int]:
    """``B_l`` ``(N_l,)`` to the bias memory: word ``g`` holds ``B_l[g*P + p]`` in lane ``p``."""
    b = np.asarray(b, dtype=np.int64)
    groups = groups_of(len(b), lanes)
    padded = np.zeros(groups * lanes, dtype=np.int64)
    padded[: len(b)] = b
    return pack_lanes(padded.reshape(groups, lanes), bits)


def unpack_biases(words, n: int, lanes: int, bits: int) -> np.ndarray:
    """Inverse of `pack_biases`; refuses a wrong depth or non-zero padding lanes."""
    groups = groups_of(n, lanes)
    if len(words) != groups:
        raise UserError(f"bias memory has {len(words)} words, expected G = {groups}")
    padded = unpack_lanes(words, lanes, bits, signed=True).reshape(-1)
    if np.any(padded[n:]):
        raise UserError(f"bias memory has non-zero values in the padding lanes past neuron {n - 1}")
    return padded[:n].copy()


def pack_spikes(trains) -> list[int]:
    """Spike trains ``(T, N)`` of 0/1 to ``T`` words of ``N`` bits, bit ``j`` of word ``t`` = ``trains[t][j]``."""
    return pack_lanes(np.asarray(trains, dtype=np.int64), 1)


def unpack_spikes(words, n: int) -> np.ndarray:
    """Inverse of `pack_spikes`: ``(T, N)`` uint8."""
    return unpack_lanes(words, n, 1, signed=False).astype(np.uint8)


# ---------------------------------------------------------------- $readmemh files


def mem_text(words, width: int) -> str:
    """Words as ``$readmemh`` hex, one word per line, ``ceil(width / 4)`` digits each."""
    digits = -(-width // 4)
    return "".join(f"{w:0{digits}x}\n" for w in words)


def write_mem(path, words, width: int) -> None:
    """Write `mem_text` of the words to ``path``."""
    Path(path).write_text(mem_text(words, width))


def read_mem(path, width: int, depth: int | None = None) -> list[int]:
    """Read a file written by `write_mem`; refuses bad hex, wrong depth, words of other than ``ceil(width / 4)``
    digits, or words wider than ``width``."""
    path = Path(path)
    lines = path.read_text().split()
    digits = -(-width // 4)
    if depth is not None and len(lines) != depth:
        raise UserError(f"{path}: {len(lines)} words, the manifest declares {depth}")
    words = []
    for k, line in enumerate(lines):
        try:
            word = int(line, 16)
        except ValueError:
            raise UserError(f"{path}: line {k + 1} ({line!r}) is not a hex word") from None
        if len(line) != digits:
            raise UserError(f"{path}: line {k + 1} ({line!r}) has {len(line)} hex digits, its width of {width} bits "
                            f"needs exactly {digits}")
        if word >> width:
            raise UserError(f"{path}: word {k} ({line}) does not fit its declared width of {width} bits")
        words.append(word)
    return words
