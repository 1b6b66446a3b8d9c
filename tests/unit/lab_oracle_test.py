#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests (TAP): the lab's best-placement bound (tools/lab/oracle.py).

The exact solvers are checked against exhaustive search on small random
instances; the cost model against hand-computed figures.
"""
import itertools
import os
import random
import sys

SOURCE_DIR = None
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(SOURCE_DIR or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."), "tools", "lab"))

import oracle  # noqa: E402

n_test, n_fail = 0, 0


def ok(cond, name):
    global n_test, n_fail
    n_test += 1
    if not cond:
        n_fail += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_test, name))


def close(a, b, rel=1e-6):
    return (a is not None and b is not None
            and abs(a - b) <= rel * max(1.0, abs(b)))


PROF = oracle.Profile([{"latency_ns": 100.0, "bandwidth_gbs": 10.0},
                       {"latency_ns": 300.0, "bandwidth_gbs": 5.0}], 64, 2)


def instance(rng, U, P):
    """Random pages (one unit each, non-adjacent) and phases, measured slow."""
    pages = {}
    for u in range(U):
        ph = {}
        for p in range(P):
            if rng.random() < 0.7:
                m = rng.randint(1, 2000)
                q = rng.randint(0, m)
                ph[p] = ([0, m, 0], [0, q, 0])
        if not ph:
            ph[0] = ([0, 1, 0], [0, 0, 0])
        pages[10 * u] = ph
    phases = []
    for p in range(P):
        here = [pages[v][p] for v in pages if p in pages[v]]
        lat = sum(PROF.measured(*c)[0] for c in here)
        bw = sum(PROF.measured(*c)[1] for c in here)
        phases.append({"cpu_ns": rng.uniform(1e4, 3e5),
                       "lat_ns": lat + rng.uniform(0, 1e4),
                       "bw_ns": bw + rng.uniform(0, 2e5),
                       "other_ns": rng.uniform(0, 2e5)})
    m = oracle.Model(PROF, phases, oracle.segments(pages), 1)
    m.measured = phases
    return m


def brute_fixed(m, budget):
    best = None
    for x in itertools.product((0, 1), repeat=m.U):
        if sum(b for b, v in zip(m.bytes, x) if v) <= budget:
            t = m.step_ns(list(x))
            best = t if best is None or t < best else best
    return best


def brute_migrate(m, budget, pn, dn, epochs=None):
    best = None
    ep = epochs or list(range(m.P))
    E = ep[-1] + 1
    sets = [x for x in itertools.product((0, 1), repeat=m.U)]
    for seq in itertools.product(range(len(sets)), repeat=E):
        ye = [[sets[seq[e]][u] for e in range(E)] for u in range(m.U)]
        fit = True
        for e in range(E):
            nxt = (e + 1) % E
            used = sum(m.bytes[u] * (ye[u][e] or ye[u][nxt])
                       for u in range(m.U))
            if used > budget:
                fit = False
                break
        if not fit:
            continue
        y = [[ye[u][ep[p]] for p in range(m.P)] for u in range(m.U)]
        t = m.step_ns(y, m.copies(y, pn, dn, epochs))
        best = t if best is None or t < best else best
    return best


def main():
    print("1..14")
    # Cost pieces: 10 fills, 4 sequential, on tier 1: 6 x 300 ns latency,
    # 640 B / 5 GB/s = 128 ns.
    ok(PROF.charge(10, 4, 1) == (1800.0, 128.0),
       "charge: latency and bandwidth")
    ok(PROF.tier(2) == 0 and PROF.tier(1) == 1, "slot 'other' pays tier 0")
    # Segments: 3 consecutive pages, the third with another phase set.
    seg = oracle.segments({5: {0: ([1, 0], [0, 0])}, 6: {0: ([2, 0], [1, 0])},
                           7: {1: ([1, 0], [0, 0])}, 9: {1: ([1, 0], [0, 0])}})
    ok([(s[0], s[1]) for s in seg] == [(5, 2), (7, 1), (9, 1)],
       "segments: runs of consecutive pages with the same phases")
    ok(seg[0][2][0] == ([3, 0], [1, 0]), "segments: counts summed")

    rng = random.Random(16)
    m = instance(rng, 4, 3)
    slow = m.step_ns([0] * m.U)
    # Everything where it was measured (slow): the measured phase times.
    meas = sum(max(p["cpu_ns"] + p["lat_ns"], p["bw_ns"], p["other_ns"])
               for p in m.measured)
    ok(close(slow, meas), "placement as measured reproduces the measured time")
    fast = m.step_ns([1] * m.U)
    ok(fast <= slow,
       "all-fast no slower than all-slow (%.0f <= %.0f)" % (fast, slow))

    good_f = good_m = True
    order_ok = True
    for trial in range(6):
        m = instance(rng, 3, 3)
        budget = rng.choice([0, 1, 2, 3]) * oracle.PAGE
        bf = brute_fixed(m, budget)
        sf, x, info = oracle.solve_fixed(m, budget)
        if not (info["optimal"] and close(sf, bf)):
            good_f = False
            print("# fixed trial %d: milp %s brute %s %s"
                  % (trial, sf, bf, info))
        pn, dn = rng.choice([(0.0, 0.0), (5e3, 4e3), (1e6, 1e6)])
        bm = brute_migrate(m, budget, pn, dn)
        sm, y, info = oracle.solve_migrate(m, budget, pn, dn)
        if not (info["optimal"] and close(sm, bm)):
            good_m = False
            print("# migrate trial %d: milp %s brute %s %s"
                  % (trial, sm, bm, info))
        if not (sm <= sf + 1e-6 and sf <= m.step_ns([0] * m.U) + 1e-6
                and sm >= m.step_ns([1] * m.U) - 1e-6):
            order_ok = False
    ok(good_f, "oracle-fixed equals exhaustive search (6 instances)")
    ok(good_m, "oracle-migrate equals exhaustive search (6 instances)")
    ok(order_ok, "all-fast <= oracle-migrate <= oracle-fixed <= all-slow")

    # Budget 0: both oracles are all-slow.
    m = instance(rng, 3, 2)
    sf, _, _ = oracle.solve_fixed(m, 0)
    sm, _, _ = oracle.solve_migrate(m, 0, 1e3, 1e3)
    ok(close(sf, m.step_ns([0] * m.U)) and close(sm, sf),
       "budget 0: all-slow")
    # Unlimited budget, free copies: all-fast.
    big = float(m.bytes.sum())
    sf, _, _ = oracle.solve_fixed(m, big)
    sm, _, _ = oracle.solve_migrate(m, big, 0.0, 0.0)
    ok(close(sf, m.step_ns([1] * m.U)) and close(sm, sf),
       "whole footprint: all-fast")
    # Copies: promoting into phase p charges phase p-1's other vCPU.
    y = [[0, 1, 0]]
    mm = instance(random.Random(1), 1, 3)
    c = mm.copies(y, 10.0, 20.0)
    ok(list(c) == [10.0 * mm.pages[0], 0.0, 20.0 * mm.pages[0]],
       "copies: promotion in the phase before, demotion in the phase after")
    # Decision epochs: the fast set changes only where an epoch begins.
    good = True
    for trial in range(4):
        m = instance(rng, 3, 4)
        ep = [0, 0, 1, 1] if trial % 2 else [0, 1, 1, 2]
        budget = rng.choice([1, 2]) * oracle.PAGE
        bm = brute_migrate(m, budget, 3e3, 2e3, ep)
        sm, y, info = oracle.solve_migrate(m, budget, 3e3, 2e3, epochs=ep)
        if not (info["optimal"] and close(sm, bm)):
            good = False
            print("# epochs trial %d: milp %s brute %s" % (trial, sm, bm))
    ok(good, "oracle-migrate with epochs equals exhaustive search")
    mm = instance(random.Random(2), 1, 4)
    c = mm.copies([[0, 0, 1, 1]], 10.0, 20.0, [0, 0, 1, 1])
    pg = mm.pages[0]
    # Promoted for epoch 1 in phase 1; demoted (cyclic) in phase 0.
    ok(list(c) == [20.0 * pg, 10.0 * pg, 0.0, 0.0],
       "copies with epochs: in the last phase before, the first after")
    print("# %d of %d failed" % (n_fail, n_test) if n_fail else "# all passed")
    return 1 if n_fail else 0


sys.exit(main())
