"""Directed test vectors that close a network's semantic coverage (`model.snn.bins`).

`close` searches noise until every bin a sound bound leaves reachable is hit:
from a pool of candidates of many densities, each vector climbed from the
candidates that hit the most bins not yet hit: a few inputs at a time drawn
again or moved one encoder level, keeping a change that hits more new bins or
brings the design nearer to the ones left (`model.snn.bins.distances`). Where
that finds nothing new, the search aims at one bin at a time, nearest first:
layer 1 of a ramp or direct-coded network is linear in its input levels, so a
neuron is put on the bin by solving for them exactly (`solve_levels`); elsewhere
a longer climb aims at it. Where no aim hits a bin, the search starts again
from a fresh pool (`STARTS` searches in all). A budget of work bounds it the
same way on every machine. A network with few enough inputs runs every one
instead (`model.snn.exhaustive`) and takes the fewest it greedily can. Every
bin is then hit, proven unreachable by the bound, or named as missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.snn.bins import bins_of, distances, prefix_subset_sums, universe
from model.snn.config import IntNetwork
from model.snn.exhaustive import hits_of_every_input, image_work, noise_of, semantic_applicable
from model.snn.golden import encode_noise, noise_levels

POOL = 1024  # candidates the greedy choice starts from (fewer where they would take a quarter of the budget)
MAX_VECTORS = 64  # directed vectors at most
CLIMB_ROUNDS = 60  # rounds of one climb at most
CLIMB_PATIENCE = 12  # rounds without a better score that end it
CLIMB_MUTANTS = 32  # changed vectors tried per round
CLIMB_STARTS = 4  # candidates a climb for every bin left starts from before the search aims at one bin
AIMED_ROUNDS = 200  # rounds of a climb aimed at one bin
AIMED_PATIENCE = 40
BUDGET = 2e8  # the search's work at most, in neuron updates of the golden model (`Budget`)
STARTS = 8  # searches from a fresh pool of candidates, while bins are left and the budget lasts


@dataclass(frozen=True)
class Closure:
    """What `close` found: the directed noise ``u`` ``(k, N_0)`` in [0, 1] and the bins of `universe`, each
    ``hit`` by it, ``unreachable`` (ruled out by the bound) or ``missed``."""

    noise: np.ndarray
    hit: tuple[str, ...]
    unreachable: tuple[str, ...]
    missed: tuple[str, ...]

    @property
    def reachable(self) -> int:
        return len(self.hit) + len(self.missed)

    def summary(self) -> dict:
        """The manifest's record of the closure: counts and the bins left."""
        return {"vectors": len(self.noise), "reachable": self.reachable, "hit": len(self.hit),
                "proven_unreachable": len(self.unreachable), "unreachable": list(self.unreachable),
                "missed": list(self.missed)}


def candidate_noise(n_inputs: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` noise vectors of many densities: silent, saturated, sparse, dense and uniform inputs."""
    u = rng.random((count, n_inputs))
    scale = rng.uniform(0.0, 1.0, (count, 1))
    kind = np.arange(count) % 4
    out = np.where(kind[:, None] == 1, u * scale, np.where(kind[:, None] == 2, 1 - u * scale, u))
    out[0], out[1 % count] = 0.0, 1.0
    return out


def directed_noise(net: IntNetwork, count: int, seed: int, candidates: int = 256) -> np.ndarray:
    """``count`` noise vectors chosen greedily among ``candidates`` for the most semantic bins of ``net``, each
    adding the most bins not yet hit: a fixed number of vectors, where `close` takes as many as it needs."""
    pool = candidate_noise(net.config.sizes[0], max(candidates, count), np.random.default_rng(seed))
    hits = _distances(net, pool) == 0
    chosen, hit = [], np.zeros(hits.shape[1], dtype=bool)
    for _ in range(count):
        gains = (hits & ~hit).sum(axis=1)
        gains[chosen] = -1
        best = int(np.argmax(gains))
        chosen.append(best)
        hit |= hits[best]
    return pool[chosen]


class Budget:
    """The work a search may still do, in neuron updates (`image_work` per image evaluated): it bounds the search
    on large networks the same way on every machine."""

    def __init__(self, net: IntNetwork, work: float = BUDGET):
        self.per_image = image_work(net.config)
        self.left = work

    def spend(self, images: int) -> None:
        self.left -= images * self.per_image

    @property
    def spent(self) -> bool:
        return self.left <= 0


def _distances(net: IntNetwork, u: np.ndarray, budget: Budget | None = None, chunk: int = 64) -> np.ndarray:
    """`distances` of noise ``u``, a chunk of vectors at a time (a LIF trace is per step and neuron)."""
    if budget is not None:
        budget.spend(len(u))
    return np.concatenate([distances(net, encode_noise(u[k : k + chunk], net.config)) for k in range(0, len(u), chunk)])


def _score(d: np.ndarray, missing: np.ndarray, target: int | None = None) -> np.ndarray:
    """Per vector of distances ``d``, the new bins it hits, less a fraction for how far it is from the rest (from
    bin ``target`` alone where given)."""
    gained = (d[:, missing] == 0).sum(axis=1)
    near = d[:, missing] if target is None else d[:, [target]]
    return gained - (near / (1.0 + near)).mean(axis=1)


def _mutants(u: np.ndarray, rng: np.random.Generator, step: float) -> np.ndarray:
    """``CLIMB_MUTANTS`` copies of ``u``, each with a few inputs drawn again or moved one encoder level."""
    trial = np.repeat(u[None], CLIMB_MUTANTS, axis=0)
    for row in trial:
        k = min(len(u), int(rng.choice((1, 2, 4, 8))))
        at = rng.choice(len(u), k, replace=False)
        row[at] = rng.random(k) if rng.random() < 0.5 else np.clip(row[at] + rng.choice((-step, step), k), 0, 1)
    return trial


def _climb(net: IntNetwork, u: np.ndarray, missing: np.ndarray, rng: np.random.Generator, budget: Budget,
           target: int | None = None, rounds: int = CLIMB_ROUNDS,
           patience: int = CLIMB_PATIENCE) -> tuple[np.ndarray, np.ndarray]:
    """``u`` changed a few inputs at a time while `_score` does not fall (and ``budget`` lasts); returns it and its
    distances."""
    d = _distances(net, u[None], budget)[0]
    best = _score(d[None], missing, target)[0]
    step, stale = 1.0 / noise_levels(net.config), 0
    for _ in range(rounds):
        if stale == patience or budget.spent or (target is not None and d[target] == 0):
            break
        trial = _mutants(u, rng, step)
        dt = _distances(net, trial, budget)
        score = _score(dt, missing, target)
        i = int(np.argmax(score))
        stale = 0 if score[i] > best else stale + 1
        if score[i] >= best:
            u, d, best = trial[i], dt[i], score[i]
    return u, d


def solve_levels(w: np.ndarray, target: int, levels: int, start: np.ndarray, rng: np.random.Generator,
                 pairs: int = 400) -> np.ndarray | None:
    """Input levels ``x`` in ``0 .. levels`` with ``w . x = target`` exactly, near ``start``, or None: greedy
    steps shrink the residual, then two inputs ``i, k`` close it where ``gcd(w_i, w_k)`` divides it (extended
    Euclid, the free multiple chosen to keep both in range)."""
    w, x = np.asarray(w, dtype=np.int64), np.asarray(start, dtype=np.int64).copy()
    nonzero = np.flatnonzero(w)
    if not len(nonzero):
        return x if target == 0 else None
    for _ in range(4 * len(nonzero)):
        r = target - int(w @ x)
        step = np.clip(np.round(r / w[nonzero]).astype(np.int64), -x[nonzero], levels - x[nonzero])
        gain = np.abs(r) - np.abs(r - w[nonzero] * step)
        if gain.max() <= 0:
            break
        i = int(np.argmax(gain))
        x[nonzero[i]] += step[i]
    r = target - int(w @ x)
    if r == 0:
        return x
    for _ in range(pairs):
        i, k = rng.choice(nonzero, 2, replace=False) if len(nonzero) > 1 else (nonzero[0], nonzero[0])
        g, a, b = _egcd(int(w[i]), int(w[k]))
        if r % g or i == k:
            continue
        a, b, di, dk = a * (r // g), b * (r // g), int(w[k]) // g, -int(w[i]) // g  # w_i (a + t di) + w_k (b + t dk) = r
        lo, hi = -10**18, 10**18
        for base, d, cur in ((a, di, x[i]), (b, dk, x[k])):  # 0 <= cur + base + t d <= levels
            t1, t2 = (-cur - base) / d, (levels - cur - base) / d
            lo, hi = max(lo, np.ceil(min(t1, t2))), min(hi, np.floor(max(t1, t2)))
        if lo <= hi:
            t = int(lo)
            x[i], x[k] = x[i] + a + t * di, x[k] + b + t * dk
            return x
    return None


def _egcd(a: int, b: int) -> tuple[int, int, int]:
    """``(g, s, t)`` with ``g = gcd(a, b) = s a + t b``, ``g > 0``."""
    s0, s1, t0, t1, r0, r1 = 1, 0, 0, 1, a, b
    while r1:
        q = r0 // r1
        r0, r1, s0, s1, t0, t1 = r1, r0 - q * r1, s1, s0 - q * s1, t1, t0 - q * t1
    return (r0, s0, t0) if r0 > 0 else (-r0, -s0, -t0)


def subset_with_sum(w, target: int) -> np.ndarray | None:
    """A subset of the integers ``w`` (as a mask) whose sum is ``target``; None if none has it."""
    before, offset = prefix_subset_sums(w)
    if target < offset or not (before[-1] >> (target - offset)) & 1:
        return None
    mask, rest = np.zeros(len(w), dtype=bool), target
    for i in reversed(range(len(w))):
        if not (before[i] >> (rest - offset)) & 1:  # the sum needs w[i]
            mask[i], rest = True, rest - int(w[i])
    return mask


def _solved(net: IntNetwork, bin: tuple[int, int, str], u: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Noise that puts a neuron of layer 1 exactly on ``bin`` (`model.snn.bins.bins_of`) by solving ``B + W q = V``
    for its input levels ``q``, where layer 1 is linear in them: a ramp layer's membrane, a direct-coded layer's
    current (its first biased value; to saturate, the current of the lane's neuron with the most weight that way,
    every input at its top or at zero); a TTFS layer's membrane at step 0, the sum of the inputs spiking then (a
    subset with that sum, the others silent). None for other bins or where no neuron of the lane has a solution."""
    c = net.config
    layer, lane, what = bin
    theta, levels = int(net.thresholds[0]), noise_levels(c)
    targets = {"at threshold": theta, "one below threshold": theta - 1, "above theta": theta + 1, "negative": -1,
               "at a step's threshold": theta, "one below a step's threshold": theta - 1}
    if layer == 1 and c.neuron == "ttfs" and what in targets:
        masks = (subset_with_sum(net.weights[0][j], targets[what]) for j in range(lane, c.sizes[1], c.lanes))
        mask = next((m for m in masks if m is not None), None)
        return None if mask is None else np.where(mask, 0.0, 1.0)  # spike time 0, or none (X = T)
    if layer != 1 or not (c.neuron == "ramp" or c.direct):
        return None
    if what in ("bias saturates high", "bias saturates low"):  # a direct current at its largest or smallest
        w, b = np.asarray(net.weights[0][lane :: c.lanes]), np.asarray(net.biases[0][lane :: c.lanes])
        high = what.endswith("high")
        top = b + levels * np.where((w > 0) == high, w, 0).sum(axis=1)
        k = int(np.argmax(top) if high else np.argmin(top))
        return (((w[k] > 0) if high else (w[k] < 0))).astype(np.float64)
    if what not in targets:
        return None
    start = np.rint(u * levels).astype(np.int64)
    for j in range(lane, c.sizes[1], c.lanes):
        q = solve_levels(net.weights[0][j], targets[what] - int(net.biases[0][j]), levels, start, rng)
        if q is not None:
            return q / levels
    return None


def _next_vector(net, candidates, d_pool, missing, given_up: set, rng, budget: Budget) -> tuple[np.ndarray, np.ndarray] | None:
    """A vector that hits a bin of ``missing``: climbed from the best candidates for all of them, else aimed at
    one bin at a time, nearest first (a bin no aimed climb reaches joins ``given_up``); None if none does."""
    for i in np.argsort(-_score(d_pool, missing))[:CLIMB_STARTS]:
        u, d = _climb(net, candidates[i], missing, rng, budget)
        if (d[missing] == 0).any():
            return u, d
    bins = bins_of(net.config)
    for b in sorted(set(np.flatnonzero(missing)) - given_up, key=lambda b: d_pool[:, b].min()):
        start = candidates[int(np.argmin(d_pool[:, b]))]
        solved = _solved(net, bins[b], start, rng)
        if solved is not None:
            d = _distances(net, solved[None], budget)[0]
            if d[b] == 0:
                return solved, d
        if budget.spent:
            return None
        u, d = _climb(net, start, missing, rng, budget, b, AIMED_ROUNDS, AIMED_PATIENCE)
        if (d[missing] == 0).any():
            return u, d
        given_up.add(b)
    return None


def _needed(masks: list[np.ndarray]) -> list[int]:
    """The vectors (their bins hit, ``masks``) left once each whose bins the others all hit is dropped, the
    vectors of fewest bins first."""
    keep = list(range(len(masks)))
    for i in sorted(keep, key=lambda k: masks[k].sum()):
        others = [masks[k] for k in keep if k != i]
        if others and not (masks[i] & ~np.any(others, axis=0)).any():
            keep.remove(i)
    return keep


def _cover(hits: np.ndarray, wanted: np.ndarray, max_vectors: int) -> list[int]:
    """Rows of ``hits`` (inputs x bins) that together hit every ``wanted`` bin any row hits, chosen greedily (the
    row that hits the most bins left first), at most ``max_vectors``."""
    left, rows = wanted & hits.any(axis=0), []
    while left.any() and len(rows) < max_vectors:
        rows.append(int(np.argmax((hits & left).sum(axis=1))))
        left &= ~hits[rows[-1]]
    return rows


def close(net: IntNetwork, seed: int = 0, pool: int = POOL, max_vectors: int = MAX_VECTORS,
          work: float = BUDGET) -> Closure:
    """Directed noise for ``net`` that hits every reachable semantic bin it finds within ``work`` (`Budget`);
    where the network has few enough inputs to run them all (`model.snn.exhaustive`), vectors chosen among them
    that hit every bin any input hits."""
    names, every = universe(net.config), hits_of_every_input(net)
    wanted = np.isin(names, semantic_applicable(net, every))
    pick = lambda mask: tuple(n for n, m in zip(names, mask) if m)  # noqa: E731
    if every is not None:
        x, hits = every
        rows = _cover(hits, wanted, max_vectors)
        hit = hits[rows].any(axis=0) if rows else np.zeros(len(names), dtype=bool)
        noise = noise_of(net.config, x[rows]).reshape(len(rows), net.config.sizes[0])
        return Closure(noise, pick(hit & wanted), pick(~wanted), pick(wanted & ~hit))
    rng = np.random.default_rng(seed)
    budget = Budget(net, work)
    pool = max(64, min(pool, int(budget.left / budget.per_image / 4)))  # at most a quarter of the budget
    hit = np.zeros(len(names), dtype=bool)
    chosen, masks = [], []
    for _ in range(STARTS):
        if not (wanted & ~hit).any() or len(chosen) == max_vectors or budget.spent:
            break
        candidates = candidate_noise(net.config.sizes[0], pool, rng)
        d_pool, given_up = _distances(net, candidates, budget), set()
        while (wanted & ~hit).any() and len(chosen) < max_vectors:
            found = _next_vector(net, candidates, d_pool, wanted & ~hit, given_up, rng, budget)
            if found is None:
                break
            chosen.append(found[0])
            masks.append((found[1] == 0) & wanted)
            hit |= found[1] == 0
    keep = _needed(masks)
    noise = np.array([chosen[k] for k in keep]).reshape(len(keep), net.config.sizes[0])
    return Closure(noise, pick(hit & wanted), pick(~wanted), pick(wanted & ~hit))
