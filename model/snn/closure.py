"""Directed test vectors that close a network's semantic coverage (`model.snn.bins`).

`close` searches noise until every bin a sound bound leaves reachable is hit:
greedily from a pool of candidates of many densities (each vector the one that
hits the most bins not yet hit), then, where the pool hits nothing new, by
climbing: changing a few inputs of the best candidate at a time, keeping a
change that hits more new bins or brings the design nearer to the ones left
(`model.snn.bins.distances`). Every bin is then hit, proven unreachable by the
bound, or named as missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.snn.bins import distances, semantic_applicable, universe
from model.snn.config import IntNetwork
from model.snn.golden import encode_noise

POOL = 1024  # candidates the greedy choice starts from
MAX_VECTORS = 64  # directed vectors at most
CLIMB_ROUNDS = 60  # rounds of one climb at most
CLIMB_PATIENCE = 12  # rounds without a better score that end it
CLIMB_MUTANTS = 32  # changed vectors tried per round
CLIMB_STARTS = 4  # candidates a climb starts from before the search gives up


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


def _distances(net: IntNetwork, u: np.ndarray, chunk: int = 64) -> np.ndarray:
    """`distances` of noise ``u``, a chunk of vectors at a time (a LIF trace is per step and neuron)."""
    return np.concatenate([distances(net, encode_noise(u[k : k + chunk], net.config)) for k in range(0, len(u), chunk)])


def _score(d: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Per vector of distances ``d``, the new bins it hits, less a fraction for how far it is from the rest."""
    near = d[:, missing]
    gained = (near == 0).sum(axis=1)
    return gained - (near / (1.0 + near)).sum(axis=1) / (missing.sum() + 1)


def _climb(net: IntNetwork, u: np.ndarray, missing: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``u`` changed a few inputs at a time while `_score` does not fall; returns it and its distances."""
    d = _distances(net, u[None])[0]
    best = _score(d[None], missing)[0]
    n, stale = len(u), 0
    for _ in range(CLIMB_ROUNDS):
        if stale == CLIMB_PATIENCE:
            break
        trial = np.repeat(u[None], CLIMB_MUTANTS, axis=0)
        for row in trial:
            k = min(n, int(rng.choice((1, 2, 4, 8))))
            row[rng.choice(n, k, replace=False)] = rng.random(k)
        dt = _distances(net, trial)
        score = _score(dt, missing)
        i = int(np.argmax(score))
        stale = 0 if score[i] > best else stale + 1
        if score[i] >= best:
            u, d, best = trial[i], dt[i], score[i]
    return u, d


def close(net: IntNetwork, seed: int = 0, pool: int = POOL, max_vectors: int = MAX_VECTORS) -> Closure:
    """Directed noise for ``net`` that hits every reachable semantic bin it can find (`Closure`)."""
    rng = np.random.default_rng(seed)
    names = universe(net.config)
    wanted = np.isin(names, semantic_applicable(net))
    candidates = candidate_noise(net.config.sizes[0], pool, rng)
    d_pool = _distances(net, candidates)
    hit = np.zeros(len(names), dtype=bool)
    chosen = []
    while (wanted & ~hit).any() and len(chosen) < max_vectors:
        missing = wanted & ~hit
        order = np.argsort(-_score(d_pool, missing))
        for i in order[:CLIMB_STARTS]:  # another start where a climb found nothing new
            u, d = _climb(net, candidates[i], missing, rng)
            if (d[missing] == 0).any():
                break
        else:
            break
        chosen.append(u)
        hit |= d == 0
    pick = lambda mask: tuple(n for n, m in zip(names, mask) if m)  # noqa: E731
    noise = np.array(chosen).reshape(len(chosen), net.config.sizes[0])
    return Closure(noise, pick(hit & wanted), pick(~wanted), pick(wanted & ~hit))
