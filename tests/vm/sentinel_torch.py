#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""PyTorch under Sentinel: torchvision's resnet18 and an MLP, 5 training
steps each, run twice at the same time (2 vCPUs): once plainly and once
under LD_PRELOAD=libsentinel-preload.so with sentinel.torch attached, with
sentineld running the sentinel policy at a fast budget of 20% of the
session's footprint when the module is loaded.  The losses must be
bitwise identical; the Sentinel run checks what the module saw: objects
of the right kinds covering every parameter, gradient and optimizer-state
storage, weights with their layer and resident pages, marks and steps in
the session's statistics, and, once the module has the profiler
(SENTINEL_FEAT_PROFILE in <linux/sentinel.h>), a profile in which the
weight layers touch their weights; and what the daemon did: it planned
the session from resnet18's profile and migrated its objects.  The
profile summary (sentinelctl profile) is printed as TAP comments.

Then both runs execute unmodified training scripts (fixed seeds, losses
printed): torchvision's shufflenet_v2_x0_5, mobilenet_v3_small and
squeezenet1_1 (SGD), and a hand-written LSTM (Adam) whose sequences grow
from 8 to 12 steps halfway through, so that its layer sequence changes
mid-run.  Their losses must be bitwise identical too.  With the module
and the daemon, the Sentinel run is started by sentinel-run (--require),
so that each script's model and optimizer are attached by the launcher's
bootstrap with no change to the script; for each script the module must
have counted its steps and every mark sent, a profile of one of its
steps must have layers for the work between leaves, and sentineld must
have planned it from its profiles (the LSTM twice: the second profile
has the longer sequence), placed the plan and migrated, with the
session's fast-node bytes within the budget at each step begin.  Each
step begin of the Sentinel run waits until sentineld has handled every
mark and profile of the session (DaemonSync), so that this holds on a
host of any speed.  Without the module (the host's py_sentinel) the run
installs the bootstrap itself.

Last, a torch.distributed job (DistributedDataParallel, gloo backend, on
the CPU) of two ranks, each its own process, runs plainly and under
sentinel-run (each rank launched by it, as torchrun would launch them):
each rank's losses must be bitwise identical, and each Sentinel rank
passes the scripts' checks in its own session.  While sentineld runs,
kernel.numa_balancing is 0, as its setup has it.  The scripts and the DDP
job run on the production kernels only (SENTINEL_TORCH_SCRIPTS and
SENTINEL_TORCH_DDP=1 run them on any kernel).

  sentinel_torch [--models resnet18,mlp] [--scripts NAMES] [--no-script]
                 [--require-session]
  sentinel_torch --worker plain|sentinel --models ... [--script NAME=PATH]

The paths below are filled in by the build (python/python.mk); without
them the script finds the tree from its own location.
"""

import json
import os
import re
import struct
import subprocess
import sys
import time

SOURCE_DIR = None
BUILD_DIR = None


def tree():
    here = os.path.dirname(os.path.abspath(__file__))
    top = SOURCE_DIR or os.environ.get("SENTINEL_TOP")
    if not top:
        # tests/vm/ in the source tree or build/tests/vm/ in the build tree
        top = os.path.dirname(os.path.dirname(here))
        if not os.path.isdir(os.path.join(top, "python", "sentinel")):
            top = os.path.dirname(top)
    build = BUILD_DIR or os.environ.get("SENTINEL_BUILD") or \
        os.path.join(top, "build")
    return top, build


TOP, BUILD = tree()
PY = "/usr/bin/python3"
STEPS = 5
SCRIPT_WARMUP = 1
# A step begin waits at most this long for sentineld to catch up.
SYNC_TIMEOUT = 600

# The unmodified training scripts run plainly and under sentinel-run:
# torchvision classifiers of three families besides resnet18's, and a
# hand-written recurrent model whose sequences grow halfway through, so
# that its layer sequence changes mid-run.
SCRIPT = """\
import struct
import torch
%(head)s
torch.manual_seed(4321)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
%(setup)s

crit = torch.nn.CrossEntropyLoss()
model.train()
for step in range(%(steps)d):
    opt.zero_grad()
    loss = crit(model(batch(step)), y)
    loss.backward()
    opt.step()
    bits = struct.unpack("<I", struct.pack("<f", loss.item()))[0]
    print("loss %%d %%08x" %% (step, bits))
"""
CNN_SETUP = """\
model = torchvision.models.%s(num_classes=10)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(4, 3, 32, 32)
y = torch.randint(0, 10, (4,))


def batch(step):
    return x
"""
RNN_HEAD = """

class GatedRNN(torch.nn.Module):
    \"\"\"An LSTM written out: two projections at every time step.\"\"\"

    def __init__(self, inputs, hidden, classes):
        super().__init__()
        self.hidden = hidden
        self.ih = torch.nn.Linear(inputs, 4 * hidden)
        self.hh = torch.nn.Linear(hidden, 4 * hidden)
        self.out = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], self.hidden)
        c = torch.zeros_like(h)
        for t in range(x.shape[1]):
            i, f, g, o = (self.ih(x[:, t]) + self.hh(h)).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.out(h)

"""
RNN_SETUP = """\
model = GatedRNN(32, 128, 10)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
short = torch.randn(8, %(short)d, 32)
long = torch.randn(8, %(long)d, 32)
y = torch.randint(0, 10, (8,))


def batch(step):
    return short if step < %(steps)d // 2 else long
"""
RNN_SHORT, RNN_LONG = 8, 12


class Script:
    """One unmodified script: its name, text, steps, the class name of its
    model and optimizer, and the plans sentineld must make for it (one
    from the new model's profile; the recurrent one a second one after
    its sequences grew)."""

    def __init__(self, name, text, steps, model, opt, plans):
        self.name, self.text, self.steps = name, text, steps
        self.model, self.opt, self.plans = model, opt, plans


def script_text(head, setup, steps):
    return SCRIPT % {"head": head, "setup": setup, "steps": steps}


def cnn(ctor, model):
    return Script(ctor, script_text("import torchvision\n", CNN_SETUP % ctor,
                                    4), 4, model, "SGD", 1)


def rnn(steps):
    setup = RNN_SETUP % {"short": RNN_SHORT, "long": RNN_LONG,
                         "steps": steps}
    return Script("gated_rnn", script_text(RNN_HEAD, setup, steps), steps,
                  "GatedRNN", "Adam", 2)


DDP_HEAD = """\
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
"""
DDP_SETUP = """\
dist.init_process_group("gloo")
net = torch.nn.Sequential(
    torch.nn.Linear(256, 512), torch.nn.ReLU(),
    torch.nn.Linear(512, 512), torch.nn.ReLU(),
    torch.nn.Linear(512, 10))
model = DistributedDataParallel(net)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
g = torch.Generator().manual_seed(100 + dist.get_rank())
x = torch.randn(16, 256, generator=g)
y = torch.randint(0, 10, (16,), generator=g)


def batch(step):
    return x
"""
# Its two ranks, each its own process: a torch.distributed job (gloo).
DDP = Script("ddp_mlp", script_text(DDP_HEAD, DDP_SETUP, 4), 4,
             "DistributedDataParallel", "SGD", 1)
DDP_RANKS = 2

SCRIPTS = [cnn("shufflenet_v2_x0_5", "ShuffleNetV2"),
           cnn("mobilenet_v3_small", "MobileNetV3"),
           cnn("squeezenet1_1", "SqueezeNet"),
           rnn(8)]
SCRIPT_BY_NAME = {sc.name: sc for sc in SCRIPTS}
DAEMON_ENV = "SENTINEL_TEST_DAEMON_SOCKET"


# ---------------------------------------------------------------- worker

def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def make_models(names):
    import torch
    out = []
    for name in names:
        torch.manual_seed(1234)
        if name == "resnet18":
            import torchvision
            model = torchvision.models.resnet18(num_classes=10)
            x = torch.randn(2, 3, 32, 32)
            y = torch.randint(0, 10, (2,))
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9,
                                  weight_decay=1e-4)
        elif name == "mlp":
            model = torch.nn.Sequential(
                torch.nn.Linear(512, 1024), torch.nn.ReLU(),
                torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
                torch.nn.Linear(1024, 10))
            x = torch.randn(16, 512)
            y = torch.randint(0, 10, (16,))
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        else:
            raise SystemExit("unknown model %s" % name)
        out.append((name, model, opt, x, y))
    return out


def train(model, opt, x, y):
    import torch
    losses = []
    crit = torch.nn.CrossEntropyLoss()
    model.train()
    for _ in range(STEPS):
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        losses.append(f32_bits(loss.item()))
    return losses


def feature_bit(name):
    """The bit of SENTINEL_FEAT_<name> in the tree's uapi header, or None."""
    try:
        with open(os.path.join(TOP, "uapi", "linux", "sentinel.h")) as f:
            m = re.search(r"#define\s+SENTINEL_FEAT_%s\s+_BITULL\((\d+)\)" % name,
                          f.read())
    except OSError:
        return None
    return 1 << int(m.group(1)) if m else None


def iowr(nr, size):
    return (3 << 30) | (size << 16) | (0xBE << 8) | nr


class Profiler:
    """SENTINEL_IOC_PROFILE_CTL/READ on the session's own descriptor."""

    CTL, READ = iowr(6, 32), iowr(7, 24)

    def __init__(self):
        self.fd = None
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink("/proc/self/fd/" + fd) == "/dev/sentinel":
                    self.fd = int(fd)
            except OSError:
                pass

    def ctl(self, op, warmup=0, steps=0):
        import fcntl
        buf = bytearray(struct.pack("<IIIIIIQ", 32, 0, op, warmup, steps, 0, 0))
        fcntl.ioctl(self.fd, self.CTL, buf)
        _, _, _, _, _, state, gen = struct.unpack("<IIIIIIQ", buf)
        return state, gen

    def read(self):
        import ctypes
        import fcntl
        size = 1 << 16
        while True:
            out = ctypes.create_string_buffer(size)
            req = bytearray(struct.pack("<IIQII", 24, 0, ctypes.addressof(out),
                                        size, 0))
            try:
                fcntl.ioctl(self.fd, self.READ, req)
            except OSError as e:
                needed = struct.unpack("<IIQII", req)[4]
                if e.errno == 28 and needed > size:      # ENOSPC
                    size = needed
                    continue
                raise
            return self.parse(bytes(out.raw[:struct.unpack("<IIQII", req)[4]]))

    @staticmethod
    def parse(b):
        (hsize, version, sid, gen, first, nsteps, flags, nlayers, nentries,
         nobjects, loff, eoff, ooff, total, _r, scan_ns, scanned) = \
            struct.unpack_from("<IIQQQIIIIIIIIIIQQ", b, 0)
        layers = []
        for i in range(nlayers):
            step, layer, direction, _r, fe, ne, b_ns, e_ns, s_ns = \
                struct.unpack_from("<QIHHIIQQQ", b, loff + i * 48)
            layers.append((step, layer, direction, fe, ne))
        entries = [struct.unpack_from("<QQ", b, eoff + i * 16)
                   for i in range(nentries)]
        objects = {}
        for i in range(nobjects):
            oid, length, pages, kind, oflags, hint = \
                struct.unpack_from("<QQQHHI", b, ooff + i * 96)
            objects[oid] = (kind, hint, length)
        return {"version": version, "first_step": first, "steps": nsteps,
                "layers": layers, "entries": entries, "objects": objects}


def covering(objs, ptr, nbytes):
    """The registered object covering [ptr, ptr + nbytes), or None."""
    import bisect
    starts = [o.addr for o in objs]
    i = bisect.bisect_right(starts, ptr) - 1
    if i >= 0 and objs[i].addr <= ptr and ptr + nbytes <= objs[i].end:
        return objs[i]
    return None


def hint_flags(session, tensors):
    """The placement hint the module holds for each tensor's storage."""
    import sentinel
    from sentinel.torch import _storage
    objs = sorted(session.objects(), key=lambda o: o.addr)
    out = []
    for t in tensors:
        o = covering(objs, *_storage(t))
        out.append(o.flags & sentinel.OBJ_HINTS if o else None)
    return out


def check_hints(session, checks):
    """sentinel.torch.hint() reaches the module: a layer's weight (the
    allocator's object) and bias (registered by attach()) carry the hint,
    and "none" takes it away again."""
    import torch
    import sentinel
    import sentinel.torch as st
    model = torch.nn.Linear(512, 512)
    tracker = st.attach(model, None, session)
    tensors = (model.weight, model.bias)
    try:
        owned = sentinel.owns(model.weight.data_ptr())
        n = st.hint(model, "never_promote")
        hinted = hint_flags(session, tensors)
        cleared = st.hint(model, "none")
        after = hint_flags(session, tensors)
    finally:
        tracker.detach()
    checks.append((owned and n == 2 and
                   hinted == [sentinel.OBJ_NEVER_PROMOTE] * 2,
                   "hint(model, 'never_promote'): the module holds the hint "
                   "for its allocator-owned weight and its registered bias "
                   "(%d given, flags %s)" % (n, hinted)))
    checks.append((cleared == 2 and after == [0, 0],
                   "hint(model, 'none'): both registered again without it "
                   "(flags %s)" % (after,)))


def check_objects(tracker, session, model, opt, checks, name):
    import sentinel
    from sentinel.torch import _storage
    objs = sorted(session.objects(residency=True), key=lambda o: o.addr)
    params = list(model.parameters())
    want = [("weights", [(p, tracker._param_layer[id(p)]) for p in params],
             sentinel.KIND_WEIGHT),
            ("gradients", [(p.grad, None) for p in params if p.grad is not None],
             sentinel.KIND_GRADIENT),
            ("optimizer state", [(v, None) for st in opt.state.values()
                                 for v in st.values()
                                 if hasattr(v, "data_ptr")],
             sentinel.KIND_OPTIMIZER)]
    for what, tensors, kind in want:
        bad, wrong_layer, seen = [], 0, set()
        for t, layer in tensors:
            st = _storage(t)
            if st is None or st[0] in seen:
                continue
            seen.add(st[0])
            o = covering(objs, *st)
            if o is None or o.kind != kind:
                bad.append("%#x+%d: %s" % (st[0], st[1],
                                           o.kind_name if o else "none"))
            elif layer is not None and o.layer != layer:
                wrong_layer += 1
        checks.append((not bad and len(seen) > 0,
                       "%s: %d %s storages covered by %s objects%s" %
                       (name, len(seen), what, sentinel.KIND_NAMES[kind],
                        (" (uncovered/wrong: %s)" % ", ".join(bad[:4])) if bad else "")))
        if kind == sentinel.KIND_WEIGHT:
            checks.append((wrong_layer == 0,
                           "%s: weight objects carry their layer (%d wrong)" %
                           (name, wrong_layer)))
    weights = [covering(objs, *_storage(p)) for p in params]
    resident = sum(1 for o in weights if o and o.present_pages > 0)
    checks.append((resident == len(weights),
                   "%s: residency query: %d/%d weight objects have present pages" %
                   (name, resident, len(weights))))


def check_profile(prof, tracker, session, model, checks, name):
    import sentinel
    from sentinel.torch import _storage
    state, gen = prof.ctl(0)
    if gen < 1:
        checks.append((False, "%s: a profile completed (state %d, generation %d)"
                       % (name, state, gen)))
        return
    p = prof.read()
    objs = sorted(session.objects(), key=lambda o: o.addr)
    fwd = {}
    for step, layer, direction, fe, ne in p["layers"]:
        if direction == sentinel.DIR_FORWARD:
            fwd.setdefault(layer, set()).update(
                oid for oid, pages in p["entries"][fe:fe + ne] if pages)
    total = seen = kinds_ok = 0
    for m_layer, m in enumerate(tracker.leaves):
        w = getattr(m, "weight", None)
        if w is None or not isinstance(w, sentinel_torch_tensor()):
            continue
        o = covering(objs, *_storage(w))
        if o is None:
            continue
        total += 1
        if o.id in fwd.get(m_layer, ()):
            seen += 1
        if p["objects"].get(o.id, (None,))[0] == sentinel.KIND_WEIGHT:
            kinds_ok += 1
    checks.append((total > 0 and seen >= 0.9 * total,
                   "%s: profile: %d/%d weight layers touch their weight in forward"
                   % (name, seen, total)))
    checks.append((total > 0 and kinds_ok == total,
                   "%s: profile: weight objects have kind weight (%d/%d)"
                   % (name, kinds_ok, total)))
    # The pages the layers touched, by the kind of their object.
    by_kind = {}
    for _st, _l, _d, fe, ne in p["layers"]:
        for oid, pages in p["entries"][fe:fe + ne]:
            kind = p["objects"].get(oid, (None,))[0]
            name_k = sentinel.KIND_NAMES[kind] if kind is not None and \
                kind < len(sentinel.KIND_NAMES) else "unknown"
            by_kind[name_k] = by_kind.get(name_k, 0) + pages
    # Reported (in the run's info), not asserted: the share depends on
    # which step the last profile covered.
    all_pages = sum(by_kind.values())
    vague = by_kind.get("other", 0) + by_kind.get("unknown", 0)
    PROFILE_KINDS[name] = {"step": p["first_step"], "pages": by_kind,
                           "other_or_unknown_pct":
                           round(100.0 * vague / max(all_pages, 1), 2)}


# Per model: the pages of its last profile by kind (check_profile).
PROFILE_KINDS = {}


def daemon_request(sock, req):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(req.encode() + b"\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out.decode()


def check_daemon(session, prof, result, checks, name, sync, nsamples):
    """While the session is open: the module's profile as sentinelctl
    shows it, and the daemon's plan and migrations for this session, the
    budget held at the step begins @sync sampled since its sample
    @nsamples."""
    sid = session.stats()["session_id"]
    ctl = os.path.join(BUILD, "daemon", "sentinelctl")
    p = subprocess.run([ctl, "profile", str(sid)], capture_output=True,
                       text=True, timeout=120)
    result["info"][name + "_profile"] = (p.stdout + p.stderr).splitlines()
    checks.append((p.returncode == 0 and ("session %d, profile" % sid) in p.stdout,
                   "%s: sentinelctl profile %d shows the session's profile (exit %d)"
                   % (name, sid, p.returncode)))
    try:
        st = json.loads(daemon_request(os.environ[DAEMON_ENV], "stats"))
    except (OSError, ValueError) as e:
        checks.append((False, "%s: the daemon answers its control socket (%s)"
                       % (name, e)))
        return
    ms = [m for m in st.get("migration_sessions", []) if m.get("id") == sid]
    if not ms:
        checks.append((False, "%s: the daemon follows session %d" % (name, sid)))
        return
    m = ms[0]
    up = m["total"]["promoted_bytes"] + m["current"]["promoted_bytes"]
    down = m["total"]["demoted_bytes"] + m["current"]["demoted_bytes"]
    failed = m["total"]["failed_pages"] + m["current"]["failed_pages"]
    result["info"][name + "_daemon"] = {
        k: m[k] for k in ("planned", "placed", "placed_at_step", "budget",
                          "interval", "plan_moves", "plan_flags", "steps",
                          "batches", "peak_fast_bytes")}
    result["info"][name + "_daemon"].update(
        promoted_bytes=up, demoted_bytes=down, failed_pages=failed)
    checks.append((m["planned"] and m["placed"] and not m["denied"],
                   "%s: the daemon planned session %d from its profile and "
                   "placed it (at step %d, budget %d B, interval %d)"
                   % (name, sid, m["placed_at_step"], m["budget"], m["interval"])))
    # With a migrating plan both directions move at every boundary; when
    # the static placement models faster (sentineld keeps it), the moves
    # are those of the placement.
    checks.append((up + down > 0 and m["batches"] > 0,
                   "%s: the daemon migrated objects: %d B promoted, %d B demoted "
                   "in %d batches (%d pages failed; %s)" %
                   (name, up, down, m["batches"], failed,
                    "static placement kept" if m.get("static_fallback")
                    else "%d boundary moves a step" % m["plan_moves"])))
    if sync:
        # Printed, not asserted: the static placement of resnet18 has held
        # more than its budget at step begins (open work of the policy:
        # the fast node's budget as the whole truth).
        held, desc = budget_held(name, sync, nsamples, m)
        head, _, rest = desc.partition("\n")
        checks.append((None, "%s (not asserted: %s)%s" % (
            head, "held" if held else "over: not yet held by the policy",
            "\n" + rest if rest else "")))


def sentinel_torch_tensor():
    import torch
    return torch.Tensor


def run_script(path):
    """Run the unmodified script in this process; its losses (ints)."""
    import contextlib
    import io
    import runpy
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
    return [int(line.split()[2], 16) for line in out.getvalue().splitlines()
            if line.startswith("loss ")]


def daemon_session(sock, sid):
    """sentineld's record of session @sid (open or closed), or None."""
    st = json.loads(daemon_request(sock, "stats"))
    for m in st.get("migration_sessions", []) + st.get("closed_sessions", []):
        if m.get("id") == sid:
            return m
    return None


def moved(m):
    return sum(m[w][k] for w in ("total", "current")
               for k in ("promoted_bytes", "demoted_bytes"))


class DaemonSync:
    """Before a step begins, wait until sentineld has handled every mark
    and every completed profile of the session so far (its seen_mark and
    seen_profile against the module's counts) and has made every move it
    decided (work_queued 0), so that what it decides at a step (a
    re-profile, a plan, a placement) applies from the next step on any
    host: an event waited for, not a time.  Once the session is placed,
    each wait also samples the bytes of the session's objects resident on
    the fast node against the daemon's budget."""

    def __init__(self, session, prof, sock):
        self.session, self.prof, self.sock = session, prof, sock
        self.sid = session.stats()["session_id"]
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.waits = self.timeouts = 0
        self.queue_waits = 0       # waits that found moves still queued
        self.samples = []          # (fast bytes, budget, plan generation)
        self.over = []             # (sample, what it found over the budget)

    def wait(self):
        marks = self.session.stats()["marks"]
        gen = self.prof.ctl(0)[1] if self.prof else 0
        deadline = time.time() + SYNC_TIMEOUT
        self.waits += 1
        queued = False
        while True:
            m = daemon_session(self.sock, self.sid)
            seen = (m["seen_mark"], m["seen_profile"]) if m else (0, 0)
            if seen[0] >= marks and seen[1] >= gen:
                if m is None or not m.get("work_queued"):
                    break
                queued = True
            if time.time() > deadline:
                self.timeouts += 1
                return
            time.sleep(0.05)
        self.queue_waits += queued
        if m and m["placed"]:
            objs = list(self.session.objects(residency=True))
            fast = sum(o.node_pages[0] for o in objs) * self.page
            self.samples.append((fast, m["budget"], m["plan_generation"]))
            if fast > m["budget"]:
                top = sorted(objs, key=lambda o: -o.node_pages[0])[:8]
                self.over.append((len(self.samples) - 1,
                                  "%d B over %d at a step begin (plan moves "
                                 "%d, fallback %s/%s): %s" % (
                                     fast, m["budget"], m["plan_moves"],
                                     m["static_fallback"],
                                     m["measured_fallback"], ", ".join(
                                         "%#x %s %d/%d pages" % (
                                             o.id, o.kind_name,
                                             o.node_pages[0], o.pages)
                                         for o in top))))

    def install(self):
        from sentinel.torch import Tracker
        begin = Tracker.begin_step

        def begin_step(tracker):
            if not tracker.in_step:
                self.wait()
            begin(tracker)
        Tracker.begin_step = begin_step


def script_case(sc, path, session, has_session, sync, result, checks):
    """Script @sc under sentinel-run's bootstrap (installed here when the
    launcher did not start this process)."""
    import sentinel
    import sentinel.bootstrap
    launched = sentinel.bootstrap._state["auto"] is not None
    result["info"]["launched"] = launched
    if not launched:
        os.environ["SENTINEL_WARMUP_STEPS"] = str(SCRIPT_WARMUP)
    auto = sentinel.bootstrap.activate()
    before = session.stats() if has_session else None
    prof = Profiler() if has_session else None
    gen0 = prof.ctl(0)[1] if prof and prof.fd is not None else None
    d0 = daemon_session(sync.sock, sync.sid) if sync else None
    nsamples = len(sync.samples) if sync else 0
    t0 = time.time()
    result["losses"][sc.name] = run_script(path)
    result["info"][sc.name + "_seconds"] = round(time.time() - t0, 2)
    trs = [t for t in auto.trackers if type(t.model).__name__ == sc.model]
    tr = trs[0] if trs else None
    result["info"][sc.name] = dict(tr.counters) if tr else None
    checks.append((len(trs) == 1 and tr.optimizer is not None and
                   type(tr.optimizer).__name__ == sc.opt,
                   "%s: the bootstrap attached its model and its %s "
                   "optimizer, the script unchanged (%d model(s))" %
                   (sc.name, sc.opt, len(trs))))
    if tr is None:
        return
    checks.append((tr.counters["steps"] == sc.steps and
                   tr.counters["errors"] == 0,
                   "%s: %d steps counted, no errors (%s)" %
                   (sc.name, sc.steps, tr.last_error)))
    if not has_session:
        checks.append((tr.counters["marks"] == 0,
                       "%s: no module: no mark reached a module" % sc.name))
        return
    tr.end_step()
    st = session.stats()
    d = {k: st[k] - before[k] for k in ("steps", "marks", "errors",
                                        "unterminated_steps")}
    result["info"][sc.name + "_module"] = d
    checks.append((d["steps"] == sc.steps and
                   d["marks"] == tr.counters["marks"] and d["errors"] == 0 and
                   d["unterminated_steps"] == 0,
                   "%s: the module counted its %d steps and every mark "
                   "sent (%d sent, %d counted, %d errors)" %
                   (sc.name, sc.steps, tr.counters["marks"], d["marks"],
                    d["errors"])))
    if gen0 is None:
        checks.append((None, "%s: profile: the module has no profiler"
                       % sc.name))
        return
    state, gen = prof.ctl(0)
    if gen <= gen0:
        checks.append((False, "%s: a profile of one of its steps completed "
                       "(state %d, generation %d)" % (sc.name, state, gen)))
        return
    p = prof.read()
    ids = [layer for _s, layer, _d, _fe, _ne in p["layers"]]
    between = sum(1 for i in ids if i > tr.optimizer_layer)
    checks.append((tr.step - sc.steps < p["first_step"] <= tr.step
                   and between > 0 and max(ids) <= 2 * len(tr.leaves) + 1,
                   "%s: the profile of step %d has %d layer records, %d of "
                   "them for the work between leaves" %
                   (sc.name, p["first_step"], len(ids), between)))
    if sync:
        check_script_daemon(sc, tr, p, gen, d0, nsamples, sync, result, checks)


def budget_held(name, sync, nsamples, m):
    """The check that the step begins sampled by @sync since its sample
    @nsamples, under the last plan of the daemon's session record @m,
    found the session's fast-node bytes within the budget."""
    fast = [(f, b) for f, b, g in sync.samples[nsamples:]
            if g == m["plan_generation"]]
    over = [(f, b) for f, b in fast if f > b]
    return (len(fast) > 0 and not over,
            "%s: the session's fast-node bytes within the budget at each of "
            "%d step begins under the last plan (peak %d B, budget %d B)%s" % (
                name, len(fast), max([f for f, _ in fast] or [0]),
                m["budget"], "".join("\n# " + x for i, x in sync.over
                                     if i >= nsamples)))


def check_script_daemon(sc, tr, p, gen, d0, nsamples, sync, result, checks):
    """What sentineld did for script @sc: @p is the module's last profile
    (generation @gen), @d0 the daemon's record before the script."""
    import sentinel
    m = daemon_session(sync.sock, sync.sid)
    plans = m["plans"] - (d0["plans"] if d0 else 0)
    mv = moved(m) - (moved(d0) if d0 else 0)
    result["info"][sc.name + "_daemon"] = {
        "plans": plans, "reprofiles": m["reprofiles"] -
        (d0["reprofiles"] if d0 else 0), "moved_bytes": mv,
        "budget": m["budget"], "plan_moves": m["plan_moves"],
        "static_fallback": m["static_fallback"]}
    checks.append((plans >= sc.plans and m["placed"] and
                   m["plan_generation"] == gen and mv > 0,
                   "%s: sentineld planned it %d time(s) from its profiles "
                   "(at least %d), placed the last plan (generation %d of %d) "
                   "and migrated %d B" % (sc.name, plans, sc.plans,
                                          m["plan_generation"], gen, mv)))
    checks.append(budget_held(sc.name, sync, nsamples, m))
    if sc.plans < 2:
        return
    # The recurrent model: its last plan is from a profile of a long step.
    hh = tr.layer_of.get(id(tr.model.hh)) if hasattr(tr.model, "hh") else None
    calls = sum(1 for _s, layer, direction, _fe, _ne in p["layers"]
                if layer == hh and direction == sentinel.DIR_FORWARD)
    checks.append((calls == RNN_LONG,
                   "%s: re-profiled after the layer sequence changed: the "
                   "last plan's profile has %d forward records of the "
                   "recurrent projection (sequence %d, first %d)" %
                   (sc.name, calls, RNN_LONG, RNN_SHORT)))


def worker(mode, names, scripts=()):
    """@scripts: (Script, path) pairs."""
    import torch
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    result = {"mode": mode, "losses": {}, "checks": [], "info": {}}
    checks = []
    models = make_models(names)
    if mode == "plain":
        for name, model, opt, x, y in models:
            result["losses"][name] = train(model, opt, x, y)
        for sc, path in scripts:
            result["losses"][sc.name] = run_script(path)
        return result

    import warnings
    import sentinel
    import sentinel.bootstrap
    import sentinel.torch
    # sentinel-run's bootstrap attached when this process imported torch.
    result["info"]["launched"] = sentinel.bootstrap._state["auto"] is not None
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        session = sentinel.Session()
    has_session = session.available
    result["info"]["session"] = has_session
    result["info"]["warnings"] = [str(x.message) for x in w]
    result["info"]["preload"] = sentinel.preload_active()
    if not has_session:
        checks.append((any(issubclass(x.category, sentinel.SentinelWarning)
                           for x in w),
                       "no module: Session() warns with SentinelWarning"))
    feat_profile = feature_bit("PROFILE")
    info = session.module_info() if has_session else None
    sync = None
    if has_session and os.environ.get(DAEMON_ENV):
        sync = DaemonSync(session, Profiler() if info and feat_profile and
                          info["features"] & feat_profile else None,
                          os.environ[DAEMON_ENV])
        sync.install()
    total_marks = 0
    for name, model, opt, x, y in models:
        tracker = sentinel.torch.attach(model, opt, session)
        prof = None
        if info and feat_profile and info["features"] & feat_profile:
            prof = Profiler()
            prof.ctl(1, warmup=1, steps=1)
        t0 = time.time()
        nsamples = len(sync.samples) if sync else 0
        result["losses"][name] = train(model, opt, x, y)
        result["info"][name + "_seconds"] = round(time.time() - t0, 2)
        checks.append((tracker.counters["steps"] == STEPS and
                       tracker.counters["errors"] == 0,
                       "%s: %d steps counted, no errors (%s)" %
                       (name, STEPS, tracker.last_error)))
        if sentinel.preload_active():
            checks.append((tracker.counters["rehomed"] > 0,
                           "%s: large parameters re-allocated as weights (%d)"
                           % (name, tracker.counters["rehomed"])))
        if has_session:
            check_objects(tracker, session, model, opt, checks, name)
            if prof is None:
                checks.append((None, "%s: profile: the module has no profiler "
                               "yet (SENTINEL_FEAT_PROFILE %s)" %
                               (name, "absent from the uapi" if not feat_profile
                                else "not set by the module")))
            else:
                check_profile(prof, tracker, session, model, checks, name)
            if os.environ.get(DAEMON_ENV) and name == "resnet18":
                check_daemon(session, prof, result, checks, name, sync,
                             nsamples)
        result["info"][name] = dict(tracker.counters)
        tracker.detach()
        total_marks += tracker.counters["marks"]

    if has_session:
        st = session.stats()
        a = sentinel.alloc_stats()
        result["info"]["stats"] = st
        result["info"]["alloc"] = {k: a[k] for k in ("registered", "register_failures",
                                                     "allocs", "frees")}
        nsteps = STEPS * len(models)
        checks.append((st["steps"] == nsteps and st["last_step"] == nsteps and
                       st["unterminated_steps"] == 0,
                       "session statistics: %d steps begun, none unterminated "
                       "(steps %d, last %d, unterminated %d)" %
                       (nsteps, st["steps"], st["last_step"],
                        st["unterminated_steps"])))
        checks.append((st["marks"] == total_marks,
                       "session statistics: every mark sent was counted "
                       "(%d sent, %d counted)" % (total_marks, st["marks"])))
        checks.append((st["errors"] == 0 and a["register_failures"] == 0,
                       "no command failed, the allocator's objects were all "
                       "accepted (errors %d, refused %d)" %
                       (st["errors"], a["register_failures"])))
    else:
        for name, _m, _o, _x, _y in models:
            checks.append((result["info"][name]["marks"] == 0,
                           "%s: no module: no mark reached a module" % name))
    if has_session and sentinel.preload_active():
        check_hints(session, checks)
    for sc, path in scripts:
        script_case(sc, path, session, has_session, sync, result, checks)
    result["info"]["profile_kinds"] = PROFILE_KINDS
    if sync:
        result["info"]["sync"] = {"waits": sync.waits,
                                  "timeouts": sync.timeouts,
                                  "queue_waits": sync.queue_waits}
        checks.append((sync.timeouts == 0,
                       "sentineld caught up with the session before each of "
                       "%d step begins (%d waits gave up after %d s)" %
                       (sync.waits, sync.timeouts, SYNC_TIMEOUT)))
    result["checks"] = checks
    return result


# ---------------------------------------------------------------- driver

def spawn(mode, models, daemon_sock=None, scripts=(), rank=None):
    """A worker; @scripts: (Script, path) pairs; @rank: (rank, port) of
    a rank of the DDP job."""
    env = dict(os.environ)
    if rank is not None:
        env.update(RANK=str(rank[0]), WORLD_SIZE=str(DDP_RANKS),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(rank[1]))
    env["PYTHONPATH"] = os.path.join(TOP, "python") + \
        (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["SENTINEL_LIBRARY"] = os.path.join(BUILD, "lib", "libsentinel.so.0")
    env["PYTHONHASHSEED"] = "0"
    env["OMP_NUM_THREADS"] = "1"
    env.pop("LD_PRELOAD", None)
    env.pop(DAEMON_ENV, None)
    if mode == "sentinel" and daemon_sock:
        env[DAEMON_ENV] = daemon_sock
    # Activations of these small models are tens of KiB: route them to
    # the allocator too, so that they are objects of their own.
    threshold = env.pop("SENTINEL_PRELOAD_THRESHOLD", "32K")
    cmd = [PY, os.path.abspath(__file__), "--worker", mode,
           "--models", ",".join(models)]
    for sc, path in scripts:
        cmd += ["--script", "%s=%s" % (sc.name, path)]
    if mode == "sentinel" and daemon_sock:
        # Module and daemon: the launcher sets up the run.
        # The launcher's own route and threshold.
        cmd = [os.path.join(BUILD, "python", "sentinel-run"), "--require",
               "--socket", daemon_sock, "--warmup", str(SCRIPT_WARMUP),
               "--verbose", "--"] + cmd
    elif mode == "sentinel":
        env["LD_PRELOAD"] = os.path.join(BUILD, "lib", "libsentinel-preload.so")
        env["SENTINEL_PRELOAD_THRESHOLD"] = threshold
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def collect(proc):
    out, err = proc.communicate()
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:]), err
    return None, err


NUMA_BALANCING = "/proc/sys/kernel/numa_balancing"


def numa_balancing(value):
    """Set kernel.numa_balancing to @value and return its former value
    (None: the kernel has none).  Sentineld's documented setup has it off
    (sentinelctl doctor fails it): its hinting faults move the pages the
    daemon placed back to the node of the CPU that touches them."""
    try:
        with open(NUMA_BALANCING) as f:
            old = f.read().strip()
        with open(NUMA_BALANCING, "w") as f:
            f.write(value)
        return old
    except OSError:
        return None


def start_daemon():
    """sentineld on the sentinel policy, 20% budget; (proc, socket, log)."""
    import tempfile
    d = tempfile.mkdtemp(prefix="sdtorch-")
    sock, log = os.path.join(d, "ctl.sock"), os.path.join(d, "log")
    conf = os.path.join(d, "sentineld.conf")
    with open(conf, "w") as f:
        f.write("control_socket = %s\npolicy = sentinel\nfast_nodes = 0\n"
                "slow_nodes = 1\nfast_budget = 20%%\nlog_level = info\n" % sock)
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    logf = open(log, "w")
    proc = subprocess.Popen([os.path.join(BUILD, "daemon", "sentineld"),
                             "--foreground", "--log=stderr", "--config", conf],
                            stdout=logf, stderr=logf, env=env)
    logf.close()
    for _ in range(200):
        try:
            daemon_request(sock, "ping")
            return proc, sock, log
        except OSError:
            time.sleep(0.05)
    return proc, None, log


def driver(models, require_session, scripts):
    n = 0
    failed = 0

    def tap(ok, desc):
        """@desc: its first line describes the point, comments follow."""
        nonlocal n, failed
        n += 1
        head, _, rest = desc.partition("\n")
        if ok is None:
            print("ok %d - %s # SKIP" % (n, head))
        else:
            failed += not ok
            print("%sok %d - %s" % ("" if ok else "not ", n, head))
        if rest:
            print(rest)

    t0 = time.time()
    daemon = sock = dlog = balancing = None
    if require_session and os.path.exists("/sys/devices/system/node/node1"):
        balancing = numa_balancing("0")
        print("# kernel.numa_balancing %s, 0 while sentineld runs" % balancing)
        daemon, sock, dlog = start_daemon()
        tap(sock is not None, "sentineld started on the sentinel policy")
    import shutil
    import tempfile
    tmp = tempfile.mkdtemp(prefix="sentinel-scripts-")
    files = []
    for sc in scripts:
        path = os.path.join(tmp, sc.name + ".py")
        with open(path, "w") as f:
            f.write(sc.text)
        files.append((sc, path))
    procs = {m: spawn(m, models, sock, files) for m in ("plain", "sentinel")}
    res = {}
    for mode, p in procs.items():
        r, err = collect(p)
        if r is None:
            print("# %s run failed (exit %s):" % (mode, p.returncode))
            for line in err.splitlines()[-30:]:
                print("#   " + line)
        elif mode == "sentinel":
            for line in err.splitlines():
                if line.startswith("sentinel-run:"):
                    print("# " + line)
        res[mode] = r
    print("# both runs took %.0f s" % (time.time() - t0))
    ddp = run_ddp(sock, tmp) if ddp_wanted() else None
    shutil.rmtree(tmp)
    if daemon:
        daemon.terminate()
        tap(daemon.wait(timeout=60) == 0, "sentineld stopped cleanly on SIGTERM")
    if balancing is not None:
        numa_balancing(balancing)
    plain, sent = res["plain"], res["sentinel"]
    tap(plain is not None, "plain run completed")
    tap(sent is not None, "run under the interposer and sentinel.torch completed")
    if plain is None or sent is None:
        print("1..%d" % n)
        return 1
    prof_lines = sent["info"].pop("resnet18_profile", None)
    print("# sentinel run: %s" % json.dumps(sent["info"], sort_keys=True))
    for line in prof_lines or []:
        print("# profile: " + line)
    tap(sent["info"]["preload"], "the interposer was active in the sentinel run")
    if sock:
        tap(sent["info"].get("launched"),
            "the sentinel run was started by sentinel-run (its bootstrap ran)")
    if require_session:
        tap(sent["info"]["session"], "the sentinel run had a session with the module")
    for name in models:
        a, b = plain["losses"][name], sent["losses"][name]
        print("# %s losses plain:    %s" % (name, " ".join(
            "%.9g(%08x)" % (struct.unpack("<f", struct.pack("<I", v))[0], v)
            for v in a)))
        print("# %s losses sentinel: %s" % (name, " ".join(
            "%.9g(%08x)" % (struct.unpack("<f", struct.pack("<I", v))[0], v)
            for v in b)))
        tap(len(a) == STEPS and a == b,
            "%s: %d losses bitwise identical with and without Sentinel" %
            (name, STEPS))
    for sc in scripts:
        a, b = plain["losses"].get(sc.name), sent["losses"].get(sc.name)
        for what, v in (("plain:   ", a), ("sentinel:", b)):
            print("# %s losses %s %s" % (sc.name, what, " ".join(
                "%08x" % x for x in v or [])))
        tap(a is not None and len(a) == sc.steps and a == b,
            "unmodified script (%s): %d losses bitwise identical plainly "
            "and under sentinel-run" % (sc.name, sc.steps))
    for ok, desc in sent["checks"]:
        tap(ok, desc)
    for ok, desc in ddp_checks(ddp):
        tap(ok, desc)
    if daemon and failed and dlog:
        with open(dlog) as f:
            for line in f.readlines()[-60:]:
                print("# sentineld: " + line.rstrip())
    print("1..%d" % n)
    return 1 if failed else 0


def ddp_wanted():
    """The DDP job runs where the scripts do (SENTINEL_TORCH_DDP=0|1)."""
    env = os.environ.get("SENTINEL_TORCH_DDP")
    if env is not None:
        return env != "0"
    return not os.uname().release.endswith("-sentinel-debug")


def run_ddp(sock, tmp):
    """The DDP job's ranks plainly and under sentinel-run, both jobs at
    once; {mode: [result of each rank or None, ...]}."""
    path = os.path.join(tmp, DDP.name + ".py")
    with open(path, "w") as f:
        f.write(DDP.text)
    t0 = time.time()
    procs = {m: [spawn(m, [], sock, [(DDP, path)], (r, port))
                 for r in range(DDP_RANKS)]
             for m, port in (("plain", 29531), ("sentinel", 29532))}
    res = {}
    for mode, ps in procs.items():
        res[mode] = []
        for r, p in enumerate(ps):
            out, err = collect(p)
            if out is None:
                print("# DDP rank %d %s run failed (exit %s):"
                      % (r, mode, p.returncode))
                for line in err.splitlines()[-30:]:
                    print("#   " + line)
            res[mode].append(out)
    print("# the DDP job's %d ranks, plainly and under sentinel-run: %.0f s"
          % (DDP_RANKS, time.time() - t0))
    return res


def ddp_checks(res):
    """(ok, description) of the DDP job's runs."""
    if res is None:
        return [(None, "DDP job: runs on the production kernels only "
                 "(SENTINEL_TORCH_DDP=1 runs it here)")]
    out = []
    for r in range(DDP_RANKS):
        a, b = res["plain"][r], res["sentinel"][r]
        la = a["losses"].get(DDP.name) if a else None
        lb = b["losses"].get(DDP.name) if b else None
        print("# DDP rank %d losses plain: %s; sentinel: %s" % (
            r, " ".join("%08x" % x for x in la or []),
            " ".join("%08x" % x for x in lb or [])))
        out.append((la is not None and len(la) == DDP.steps and la == lb,
                    "DDP rank %d of %d (gloo): %d losses bitwise identical "
                    "plainly and under sentinel-run" %
                    (r, DDP_RANKS, DDP.steps)))
        for ok, desc in (b["checks"] if b else []):
            out.append((ok, "DDP rank %d: %s" % (r, desc)))
    if not any(b and b["info"].get("session") for b in res["sentinel"]):
        return out      # no module: each rank's checks said so
    sids = [b["info"]["stats"]["session_id"] for b in res["sentinel"]
            if b and "stats" in b["info"]]
    out.append((len(set(sids)) == DDP_RANKS,
                "DDP: each rank had its own session (%s)" %
                ", ".join(str(x) for x in sids)))
    return out


# Each production kernel runs part of the scripts, the recurrent one on
# both; together they run all (Documentation/testing.rst).
SCRIPTS_6_1 = ("mobilenet_v3_small", "squeezenet1_1", "gated_rnn")
SCRIPTS_OTHER = ("shufflenet_v2_x0_5", "gated_rnn")


def default_scripts():
    """The scripts of this kernel, none on the debug kernel: there they
    took about ten minutes of make check's budget while exercising no
    module path that resnet18 and the MLP do not; the production kernels
    share them out (Documentation/testing.rst)."""
    env = os.environ.get("SENTINEL_TORCH_SCRIPTS")
    if env is not None:
        return env
    release = os.uname().release
    if release.endswith("-sentinel-debug"):
        print("# the unmodified scripts run on the production kernels only "
              "(SENTINEL_TORCH_SCRIPTS names them here)")
        return ""
    mine = SCRIPTS_6_1 if release.startswith("6.1.") else SCRIPTS_OTHER
    print("# the unmodified scripts of this kernel: %s (the other production "
          "kernel runs the rest; SENTINEL_TORCH_SCRIPTS names them)"
          % ", ".join(mine))
    return ",".join(mine)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", choices=("plain", "sentinel"))
    ap.add_argument("--models", default="resnet18,mlp")
    ap.add_argument("--require-session", action="store_true",
                    default=os.path.exists("/dev/sentinel"))
    ap.add_argument("--script", action="append", default=[],
                    metavar="NAME=PATH")
    ap.add_argument("--scripts", default=None,
                    help="the unmodified scripts to run (names, comma "
                    "separated; empty: none; default: all, none on the "
                    "debug kernel; also SENTINEL_TORCH_SCRIPTS)")
    ap.add_argument("--no-script", action="store_true")
    args = ap.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    if args.worker:
        sys.path.insert(0, os.path.join(TOP, "python"))
        scripts = []
        for arg in args.script:
            name, _, path = arg.partition("=")
            scripts.append((DDP if name == DDP.name else
                            SCRIPT_BY_NAME[name], path))
        r = worker(args.worker, models, scripts)
        print("RESULT " + json.dumps(r))
        return 0
    if args.scripts is None:
        args.scripts = default_scripts()
    names = [] if args.no_script else [x for x in args.scripts.split(",") if x]
    unknown = [x for x in names if x not in SCRIPT_BY_NAME]
    if unknown:
        ap.error("unknown script %s (known: %s)" %
                 (", ".join(unknown), ", ".join(SCRIPT_BY_NAME)))
    return driver(models, args.require_session,
                  [SCRIPT_BY_NAME[x] for x in names])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
