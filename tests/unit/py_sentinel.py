#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host tests of the Python package and of the interposer under Python
(no module on the host): the package works without the module (warns,
no-ops), a matmul and an MLP's losses are bitwise identical with and
without LD_PRELOAD=libsentinel-preload.so, sentinel.torch gives the
allocator's objects their kinds and layers (weights, activations,
gradients, optimizer state), detach() undoes attach(), and fork() works
under the interposer.  Prints TAP.

The paths below are filled in by the build (python/python.mk).
"""

import json
import os
import subprocess
import sys

SOURCE_DIR = None
BUILD_DIR = None

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = SOURCE_DIR or os.environ.get("SENTINEL_TOP") or \
    os.path.dirname(os.path.dirname(HERE))
BUILD = BUILD_DIR or os.environ.get("SENTINEL_BUILD") or os.path.join(TOP, "build")
PY = "/usr/bin/python3"
PRELOAD = os.path.join(BUILD, "lib", "libsentinel-preload.so")

n = 0
failed = 0


def ok(cond, desc):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, desc), flush=True)
    return cond


def diag(text):
    for line in str(text).splitlines():
        print("# " + line, flush=True)


def env(preload, threshold=None):
    e = dict(os.environ)
    e["PYTHONPATH"] = os.path.join(TOP, "python")
    e["SENTINEL_LIBRARY"] = os.path.join(BUILD, "lib", "libsentinel.so.0")
    e["SENTINEL_DEVICE"] = "/nonexistent/sentinel"   # never a real module
    e["OMP_NUM_THREADS"] = "1"
    e.pop("LD_PRELOAD", None)
    if preload:
        e["LD_PRELOAD"] = PRELOAD
    if threshold:
        e["SENTINEL_PRELOAD_THRESHOLD"] = threshold
    return e


def run(code, preload=False, threshold=None, timeout=240):
    """Run code in /usr/bin/python3; its last stdout line is JSON."""
    p = subprocess.run([PY, "-c", code], env=env(preload, threshold),
                       capture_output=True, text=True, timeout=timeout)
    lines = p.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]), p
    except (IndexError, ValueError):
        diag("exit %d\n%s" % (p.returncode, p.stderr[-3000:]))
        return None, p


NO_MODULE = r"""
import json, warnings, sentinel
out = {}
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    s = sentinel.Session()
out["warned"] = [issubclass(x.category, sentinel.SentinelWarning) for x in w]
out["lib"] = sentinel.library() is not None
out["available"] = s.available
out["state"] = s.state
out["register"] = s.register(4096, 4096, sentinel.KIND_WEIGHT)
out["marks"] = [s.step_begin(1), s.layer_begin(0), s.layer_end(0), s.step_end(1)]
out["stats"] = s.stats()
out["job_stats"] = s.job_stats()
out["objects"] = s.objects()
out["query"] = s.query([1])
out["strerror"] = sentinel.strerror(sentinel.EOVERLAP)
out["preload"] = sentinel.preload_active()
a = sentinel.alloc_stats()
out["alloc"] = a is not None and "allocs" in a
with sentinel.allocation_hint(sentinel.KIND_WEIGHT):
    pass
s.close()
print(json.dumps(out))
"""

MATMUL = r"""
import json, hashlib, torch
torch.manual_seed(7); torch.set_num_threads(1)
a = torch.randn(700, 600); b = torch.randn(600, 500)
c = a @ b
x = torch.randn(64, 3, 32, 32)
conv = torch.nn.Conv2d(3, 64, 3, padding=1)
y = conv(x)
import sentinel
print(json.dumps({"c": hashlib.sha256(c.numpy().tobytes()).hexdigest(),
                  "y": hashlib.sha256(y.detach().numpy().tobytes()).hexdigest(),
                  "owned": sentinel.owns(c.storage().data_ptr()),
                  "preload": sentinel.preload_active()}))
"""

SYNCS = r"""
import json, torch, sentinel, sentinel.torch as st
torch.manual_seed(5); torch.set_num_threads(1)
model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 4))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x = torch.randn(64, 256); y = torch.randint(0, 4, (64,))
tr = st.attach(model, opt)
thr = sentinel.preload_threshold()
big = [p for p in model.parameters() if p.numel() * 4 >= thr]
seen = []
for step in range(8):
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    seen.append(all(p.grad.storage().data_ptr() in tr._objs for p in big))
c = tr.counters
m2 = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(),
                         torch.nn.Linear(512, 4))
tr2 = st.attach(m2)
big2 = [p for p in m2.parameters() if p.numel() * 4 >= thr]
seen2 = []
for step in range(8):
    out = m2(x)             # the step begin looks at last step's gradients
    if step:
        seen2.append(all(p.grad.storage().data_ptr() in tr2._objs
                         for p in big2))
    for p in m2.parameters():
        p.grad = None
    torch.nn.functional.cross_entropy(out, y).backward()
    with torch.no_grad():
        for p in m2.parameters():
            p -= 0.1 * p.grad
print(json.dumps({"n_big": len(big), "seen": seen, "full": c["full_syncs"],
                  "quick": c["quick_syncs"], "errors": c["errors"],
                  "seen_no_opt": seen2,
                  "errors_no_opt": tr2.counters["errors"],
                  "quick_no_opt": tr2.counters["quick_syncs"]}))
"""

KINDS = r"""
import json, os, torch, sentinel, sentinel.torch as st
torch.manual_seed(3); torch.set_num_threads(1)
model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 4))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
orig_step = opt.step
x = torch.randn(128, 256); y = torch.randint(0, 4, (128,))
acts = []
def grab(m, i, o):
    acts.append(sentinel.alloc_info(o.storage().data_ptr()))
model[0].register_forward_hook(grab)
tr = st.attach(model, opt)
out = {"leaves": len(tr.leaves), "opt_layer": tr.optimizer_layer}
for step in range(2):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
def info(t):
    return sentinel.alloc_info(t.storage().data_ptr())
thr = sentinel.preload_threshold()
big = [p for p in model.parameters() if p.numel() * 4 >= thr]
out["n_big"] = len(big)
out["weights"] = [(i["kind"], i["layer"]) for i in map(info, big)]
out["want_layers"] = [tr._param_layer[id(p)] for p in big]
out["grads"] = [info(p.grad)["kind"] for p in big]
out["state"] = [info(opt.state[p]["momentum_buffer"])["kind"] for p in big]
out["acts"] = [(a or {}).get("kind") for a in acts]
out["act_layer"] = [(a or {}).get("layer") for a in acts]
out["steps"] = tr.counters["steps"]
out["step"] = tr.step
out["errors"] = tr.counters["errors"]
tr.detach()
out["restored"] = "step" not in vars(opt) and opt.step == orig_step
out["hooks_left"] = sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.modules())
pid = os.fork()
if pid == 0:
    z = torch.randn(512, 512) @ torch.randn(512, 512)
    ok = sentinel.owns(z.storage().data_ptr()) and sentinel.state() != sentinel.STATE_OPEN
    os._exit(0 if ok else 1)
_, status = os.waitpid(pid, 0)
out["fork"] = status
print(json.dumps(out))
"""


HINT_API = r"""
import json, torch, sentinel, sentinel.torch as st
m = torch.nn.Linear(512, 512)
out = {"flag": [sentinel.hint_flag("pin-fast"),
                sentinel.hint_flag("NEVER_PROMOTE"), sentinel.hint_flag(0)]}
bad = []
for v in ("fastest", 3 << 2, 1 << 9, None):
    try:
        sentinel.hint_flag(v)
        bad.append(False)
    except ValueError:
        bad.append(True)
out["bad"] = bad
try:
    st.hint(42, "pin_fast")
    out["type"] = False
except TypeError:
    out["type"] = True
out["n"] = st.hint(m, "pin_fast")
out["of"] = [st._hint_of(m.weight), st._hint_of(m.bias)]
st.hint(m.bias, "none")
out["cleared"] = st._hint_of(m.bias)
out["owned"] = sentinel.owns(m.weight.data_ptr())
print(json.dumps(out))
"""


def main():
    if not os.path.exists(PRELOAD):
        ok(False, "%s exists (make userspace)" % PRELOAD)
        print("1..%d" % n)
        return 1

    # The ctypes mirrors must match libsentinel's public structures
    # (struct sntl_obj_info: 152 bytes; struct sntl_session_stats: 88;
    # struct sntl_job_stats: 112).
    lay = subprocess.run(
        [PY, "-c", "import ctypes, sentinel; print(ctypes.sizeof(sentinel._ObjInfo),"
         " ctypes.sizeof(sentinel._SessionStats), ctypes.sizeof(sentinel._JobStats))"],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=os.path.join(TOP, "python")))
    ok(lay.stdout.split() == ["152", "88", "112"],
       "ctypes layouts match the C structures (%s)" % lay.stdout.strip())

    r, p = run(NO_MODULE)
    ok(r is not None, "package imports and runs without torch and without the module")
    if r:
        ok(r["lib"], "libsentinel found through SENTINEL_LIBRARY")
        ok(r["warned"] == [True], "Session() without the module warns once with SentinelWarning")
        ok(not r["available"] and r["state"] == 0, "session unavailable, state closed")
        ok(r["register"] is None and r["marks"] == [False] * 4 and
           r["stats"] is None and r["objects"] == [] and r["query"] == [] and
           r["job_stats"] is None,
           "register, marks, stats, job stats and queries are no-ops")
        ok("overlap" in r["strerror"].lower(), "strerror: %s" % r["strerror"])
        ok(not r["preload"] and r["alloc"], "no interposer; allocator statistics readable")

    a, _ = run(MATMUL)
    b, _ = run(MATMUL, preload=True)
    ok(a is not None and b is not None, "torch runs with and without the interposer")
    if a and b:
        ok(b["preload"] and b["owned"] and not a["owned"],
           "under the interposer the matmul result lives in libsentinel memory")
        ok(a["c"] == b["c"] and a["y"] == b["y"],
           "matmul and conv2d results bitwise identical with and without the interposer")

    h, p = run(HINT_API, preload=True)
    ok(h is not None and h["flag"] == [4, 8, 0] and all(h["bad"]) and
       h["type"], "hint names: parsed, bad ones ValueError, bad targets "
       "TypeError")
    ok(h is not None and h["owned"] and h["n"] == 0 and
       h["of"] == [4, 4] and h["cleared"] == 0,
       "sentinel.torch.hint() without a session: kept for registration, "
       "nothing registered now; 'none' clears it")

    q, p = run(SYNCS, preload=True, threshold="128K")
    ok(q is not None and q["n_big"] == 1 and all(q["seen"]) and
       q["errors"] == 0,
       "gradients re-created every step (set_to_none) are known after "
       "each step")
    ok(q is not None and all(q["seen_no_opt"]) and
       q["errors_no_opt"] == 0 and q["quick_no_opt"] >= 5,
       "... also without an optimizer: every step begin after the first "
       "three looks at new gradients")
    if q:
        diag(json.dumps(q))
        ok(q["quick"] > 0 and 0 < q["full"] < q["quick"],
           "after the first steps only new tensors are looked at "
           "(%d full, %d quick syncs)" % (q["full"], q["quick"]))

    k, p = run(KINDS, preload=True, threshold="128K")
    ok(k is not None, "MLP training under the interposer with sentinel.torch")
    if k:
        diag(json.dumps(k))
        ok(k["n_big"] == 2 and all(kind == 1 for kind, _ in k["weights"]),
           "large weights are allocator objects of kind weight")
        ok([layer for _, layer in k["weights"]] == k["want_layers"],
           "... with their layer (leaf index) as layer hint")
        ok(all(x == 3 for x in k["grads"]), "their gradients have kind gradient")
        ok(all(x == 4 for x in k["state"]), "their momentum buffers have kind optimizer")
        ok(k["acts"] and all(x == 2 for x in k["acts"]) and
           all(x == 0 for x in k["act_layer"]),
           "activations have kind activation and the layer that made them")
        ok(k["steps"] == 2 and k["step"] == 2 and k["errors"] == 0,
           "two steps counted, no errors")
        ok(k["restored"] and k["hooks_left"] == 1,
           "detach() restores optimizer.step and removes its hooks")
        ok(k["fork"] == 0, "fork() under the interposer: the child allocates from libsentinel")

    drv = os.path.join(TOP, "tests", "vm", "sentinel_torch.py")
    p = subprocess.run([PY, drv, "--models", "mlp"], capture_output=True, text=True,
                       timeout=600, env=dict(os.environ, SENTINEL_TOP=TOP,
                                             SENTINEL_BUILD=BUILD,
                                             SENTINEL_DEVICE="/nonexistent/sentinel"))
    diag(p.stdout)
    ok(p.returncode == 0 and "not ok" not in p.stdout,
       "tests/vm/sentinel_torch.py --models mlp on the host: MLP losses "
       "bitwise identical under Sentinel without the module")
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
