# SPDX-License-Identifier: GPL-2.0
"""The best-placement bound ("oracle") of the tier lab.  No I/O.

Input: the phases of the measured steps of one lab run with attribution
(plugin argument attr=N), each with the training vCPU's modeled pieces as
lab-report computed them (cpu_ns, lat_ns, bw_ns), the other vCPU's time,
and the misses the plugin attributed to each virtual page in that phase.
Output: the modeled step time of every placement of those pages, and the
best one under a fast-memory budget, solved exactly as a mixed-integer
linear program (scipy's milp, HiGHS):

oracle-fixed
    one fast/slow choice per unit for the whole step.
oracle-migrate
    a fast set per phase (layer), every set within the budget, copies
    between consecutive phases charged on the other vCPU at the lab's
    measured migration cost per page (tools/lab/migcost).

The cost model is the lab's (tools/lab/costmodel.c): per vCPU and phase,
time = max(cpu + latency of the misses no stream hides, bytes / bandwidth),
and a phase costs the maximum over the vCPUs.  Moving a unit between tiers
re-charges its misses at the other tier's latency and bandwidth and
changes nothing else: the cache model is physically indexed, so the same
accesses give the same misses wherever the pages are, up to conflict
misses (the validation in tools/bench/oracle measures that).  Misses
nobody attributed (kernel work, other processes) and every write-back are
charged as they were measured, whatever the placement.
"""
import numpy as np

PAGE = 4096


class Profile:
    """The numbers of one cost profile, as lab-report --json gives them."""

    def __init__(self, tiers, line, nnodes):
        self.lat = [t["latency_ns"] for t in tiers]
        self.bw = [t["bandwidth_gbs"] for t in tiers]
        self.line = line
        self.nnodes = nnodes

    def tier(self, slot):
        """The tier paying for node slot @slot (costmodel.h: lab_cost_tier):
        slots 0..nnodes-1 are nodes, slot nnodes is "no node" (tier 0)."""
        if slot >= self.nnodes:
            return 0
        return min(slot, len(self.lat) - 1)

    def charge(self, miss, seq, tier):
        """(latency ns, bandwidth ns) of @miss line fills, @seq of them
        sequential, all on @tier."""
        stalls = max(miss - seq, 0)
        return (stalls * self.lat[tier],
                miss * self.line / self.bw[tier])

    def measured(self, miss, seq):
        """(latency ns, bandwidth ns) of per-slot fills where measured."""
        lat = bw = 0.0
        for s, (m, q) in enumerate(zip(miss, seq)):
            a, b = self.charge(m, q, self.tier(s))
            lat += a
            bw += b
        return lat, bw


def segments(pages):
    """Group pages into units: maximal runs of consecutive virtual pages
    that miss in the same set of phases.  @pages: {vpn: {phase: (miss,
    seq)}} with per-slot lists.  Returns [(first_vpn, npages, {phase:
    (miss, seq)})] with the counts summed."""
    units = []
    prev_vpn, prev_key = None, None
    for vpn in sorted(pages):
        ph = pages[vpn]
        key = frozenset(ph)
        if units and prev_vpn == vpn - 1 and prev_key == key:
            first, n, acc = units[-1]
            for p, (m, q) in ph.items():
                am, aq = acc[p]
                acc[p] = ([x + y for x, y in zip(am, m)],
                          [x + y for x, y in zip(aq, q)])
            units[-1] = (first, n + 1, acc)
        else:
            units.append((vpn, 1, {p: (list(m), list(q))
                                   for p, (m, q) in ph.items()}))
        prev_vpn, prev_key = vpn, key
    return units


class Model:
    """Phases x units, with each unit's cost on the fast and the slow tier.

    @phases: [{"cpu_ns", "lat_ns", "bw_ns", "other_ns"}] of the training
    vCPU (other_ns: the other vCPU's time); @units: segments();
    @nsteps: measured steps the phases cover (the step time is the sum
    over the phases divided by it)."""

    def __init__(self, prof, phases, units, nsteps, fast=0, slow=1):
        P, U = len(phases), len(units)
        self.P, self.U, self.nsteps = P, U, nsteps
        self.pages = np.array([u[1] for u in units], dtype=float)
        self.bytes = self.pages * PAGE
        self.other = np.array([p["other_ns"] for p in phases], dtype=float)
        lat_f = np.zeros((U, P))
        lat_s = np.zeros((U, P))
        bw_f = np.zeros((U, P))
        bw_s = np.zeros((U, P))
        lat_m = np.zeros(P)
        bw_m = np.zeros(P)
        for i, (_, _, ph) in enumerate(units):
            for p, (m, q) in ph.items():
                a, b = prof.measured(m, q)
                lat_m[p] += a
                bw_m[p] += b
                lat_f[i, p], bw_f[i, p] = prof.charge(sum(m), sum(q), fast)
                lat_s[i, p], bw_s[i, p] = prof.charge(sum(m), sum(q), slow)
        # What stays as measured: compute, unattributed misses, write-backs.
        self.a = np.array([p["cpu_ns"] + p["lat_ns"] for p in phases]) - lat_m
        self.b = np.array([p["bw_ns"] for p in phases]) - bw_m
        self.lat_f, self.lat_s, self.bw_f, self.bw_s = lat_f, lat_s, bw_f, bw_s

    def phase_times(self, y, copy_ns=None):
        """Per-phase modeled time with y[u, p] = 1 when unit u is fast in
        phase p (a vector: the same in every phase); @copy_ns: extra work
        on the other vCPU per phase."""
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = np.repeat(y[:, None], self.P, axis=1)
        lat = self.a + (y * self.lat_f + (1 - y) * self.lat_s).sum(axis=0)
        bw = self.b + (y * self.bw_f + (1 - y) * self.bw_s).sum(axis=0)
        other = self.other + (0 if copy_ns is None else copy_ns)
        return np.maximum(np.maximum(lat, bw), other)

    def step_ns(self, y, copy_ns=None):
        return float(self.phase_times(y, copy_ns).sum()) / self.nsteps

    def copies(self, y, promote_ns, demote_ns, epochs=None):
        """Copy work per phase of placement @y (U x P, constant within
        each decision epoch), cyclic: a unit promoted for epoch e is
        copied during the last phase of epoch e-1, one demoted after epoch
        e-1 during the first phase of epoch e.  @epochs: the epoch of each
        phase (non-decreasing from 0); None: every phase its own."""
        y = np.asarray(y, dtype=float)
        first, last = epoch_bounds(epochs, self.P)
        ye = y[:, first]
        prev = np.roll(ye, 1, axis=1)
        up = (np.maximum(ye - prev, 0) * self.pages[:, None]).sum(axis=0)
        down = (np.maximum(prev - ye, 0) * self.pages[:, None]).sum(axis=0)
        out = np.zeros(self.P)
        E = len(first)
        for e in range(E):
            out[last[(e - 1) % E]] += promote_ns * up[e]
            out[first[e]] += demote_ns * down[e]
        return out


def epoch_bounds(epochs, P):
    """(first phase, last phase) of each decision epoch."""
    if epochs is None:
        return list(range(P)), list(range(P))
    first, last = [], []
    for p, e in enumerate(epochs):
        if e == len(first):
            first.append(p)
            last.append(p)
        elif e == len(first) - 1:
            last[e] = p
        else:
            raise ValueError("epochs must start at 0 and grow by 1")
    return first, last


def _milp(c, A_rows, lb, ub, integrality, bounds, time_limit):
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix
    rows, cols, vals = [], [], []
    for r, row in enumerate(A_rows):
        for j, v in row:
            rows.append(r)
            cols.append(j)
            vals.append(v)
    A = csr_matrix((vals, (rows, cols)), shape=(len(A_rows), len(c)))
    res = milp(c, constraints=LinearConstraint(A, lb, ub),
               integrality=integrality, bounds=Bounds(*bounds),
               options={"time_limit": time_limit, "mip_rel_gap": 1e-6,
                        "disp": False})
    return res


def _result(res, scale):
    gap = getattr(res, "mip_gap", None)
    bound = getattr(res, "mip_dual_bound", None)
    return {"status": int(res.status), "message": str(res.message),
            "optimal": res.status == 0,
            "mip_gap": float(gap) if gap is not None else None,
            "dual_bound_ns": float(bound) / scale if bound is not None
            else None}


def _bound(found, info):
    """The figure to report: the optimum when the solver proved it; else
    (time limit) the solver's dual bound, which no placement beats, with
    the best placement found kept in info["found_ns"]."""
    info["found_ns"] = found
    if info["optimal"]:
        return found
    return info["dual_bound_ns"]


def solve_fixed(m, budget, time_limit=120.0):
    """oracle-fixed: x[u] in {0, 1}, sum bytes x <= budget, minimise the
    step time.  Variables: x (U), t (P); t_p >= other_p, t_p >= latency
    side, t_p >= bandwidth side.  Returns (step_ns, x, info)."""
    U, P = m.U, m.P
    n = U + P
    c = np.concatenate([np.zeros(U), np.ones(P) / m.nsteps])
    rows, lb, ub = [], [], []
    dl = m.lat_f - m.lat_s
    db = m.bw_f - m.bw_s
    base_l = m.a + m.lat_s.sum(axis=0)
    base_b = m.b + m.bw_s.sum(axis=0)
    for p in range(P):
        nz = np.nonzero(dl[:, p])[0]
        rows.append([(U + p, 1.0)] + [(int(u), -dl[u, p]) for u in nz])
        lb.append(base_l[p])
        ub.append(np.inf)
        nz = np.nonzero(db[:, p])[0]
        rows.append([(U + p, 1.0)] + [(int(u), -db[u, p]) for u in nz])
        lb.append(base_b[p])
        ub.append(np.inf)
    rows.append([(u, m.bytes[u]) for u in range(U)])
    lb.append(-np.inf)
    ub.append(float(budget))
    integ = np.concatenate([np.ones(U), np.zeros(P)])
    lo = np.concatenate([np.zeros(U), m.other])
    hi = np.concatenate([np.ones(U), np.full(P, np.inf)])
    res = _milp(c, rows, lb, ub, integ, (lo, hi), time_limit)
    info = _result(res, 1.0)
    if res.x is None:
        return _bound(None, info), None, info
    x = np.round(res.x[:U])
    # The step time of the placement found, by the model's own sum.
    return _bound(m.step_ns(x), info), x, info


def solve_migrate(m, budget, promote_ns, demote_ns, time_limit=300.0,
                  epochs=None):
    """oracle-migrate: the fast set may change at the start of each
    decision epoch (@epochs: the epoch of each phase, from 0, e.g. a new
    one at every layer begin; None: at every phase).  y[u, e] in {0, 1};
    up[u, e] >= y[u, e] - y[u, e-1] (promoted for epoch e, copied during
    the last phase of epoch e-1), dn[u, e] >= y[u, e-1] - y[u, e]
    (demoted after epoch e-1, copied during the first phase of epoch e),
    cyclic over the measured phases; per epoch the fast set plus what is
    being promoted for the next one fits the budget; the copies load the
    other vCPU of the phase they run in.  up and dn are continuous: at an
    optimum each equals its bound's positive part, since their cost is
    positive.  Returns (step_ns, y per phase, info); step_ns is the
    optimum, or the solver's proven lower bound when @time_limit stopped
    it (see _bound)."""
    U, P = m.U, m.P
    first, last = epoch_bounds(epochs, P)
    E = len(first)
    ep = [0] * P
    for e in range(E):
        for p in range(first[e], last[e] + 1):
            ep[p] = e
    Y, UP, DN, T = 0, U * E, 2 * U * E, 3 * U * E
    n = 3 * U * E + P

    def y(u, e):
        return Y + u * E + e % E

    def up(u, e):
        return UP + u * E + e % E

    def dn(u, e):
        return DN + u * E + e % E

    c = np.zeros(n)
    c[T:] = 1.0 / m.nsteps
    rows, lb, ub = [], [], []
    base_l = m.a + m.lat_s.sum(axis=0)
    base_b = m.b + m.bw_s.sum(axis=0)
    dl = m.lat_f - m.lat_s
    db = m.bw_f - m.bw_s
    for p in range(P):
        e = ep[p]
        nz = np.nonzero(dl[:, p])[0]
        rows.append([(T + p, 1.0)] + [(y(int(u), e), -dl[u, p]) for u in nz])
        lb.append(base_l[p])
        ub.append(np.inf)
        nz = np.nonzero(db[:, p])[0]
        rows.append([(T + p, 1.0)] + [(y(int(u), e), -db[u, p]) for u in nz])
        lb.append(base_b[p])
        ub.append(np.inf)
        # Other vCPU: its own work plus the copies during phase p.
        row = [(T + p, 1.0)]
        if p == last[e]:
            row += [(up(u, e + 1), -promote_ns * m.pages[u]) for u in range(U)]
        if p == first[e]:
            row += [(dn(u, e), -demote_ns * m.pages[u]) for u in range(U)]
        rows.append(row)
        lb.append(m.other[p])
        ub.append(np.inf)
    for e in range(E):
        rows.append([(y(u, e), m.bytes[u]) for u in range(U)] +
                    [(up(u, e + 1), m.bytes[u]) for u in range(U)])
        lb.append(-np.inf)
        ub.append(float(budget))
        for u in range(U):
            rows.append([(up(u, e), 1.0), (y(u, e), -1.0), (y(u, e - 1), 1.0)])
            lb.append(0.0)
            ub.append(np.inf)
            rows.append([(dn(u, e), 1.0), (y(u, e - 1), -1.0), (y(u, e), 1.0)])
            lb.append(0.0)
            ub.append(np.inf)
    integ = np.zeros(n)
    integ[:UP] = 1
    lo = np.zeros(n)
    hi = np.concatenate([np.ones(3 * U * E), np.full(P, np.inf)])
    res = _milp(c, rows, lb, ub, integ, (lo, hi), time_limit)
    info = _result(res, 1.0)
    if res.x is None and info["dual_bound_ns"] is None:
        # No bound from the search: the LP relaxation's optimum is one
        # (on resnet, 150 thousand binaries: about 80 s where the search
        # found nothing in 120).
        rel = _milp(c, rows, lb, ub, np.zeros(n), (lo, hi), 4 * time_limit)
        if rel.status == 0:
            info["dual_bound_ns"] = float(rel.fun)
            info["bound_from"] = "LP relaxation"
    if res.x is None:
        return _bound(None, info), None, info
    ye = np.round(res.x[:UP]).reshape(U, E)
    yv = ye[:, ep]
    return _bound(m.step_ns(yv, m.copies(yv, promote_ns, demote_ns, epochs)),
                  info), yv, info
