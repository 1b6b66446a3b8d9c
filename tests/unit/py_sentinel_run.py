#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host tests of sentinel-run (python/sentinel/run.py) and its bootstrap
(no module on the host): option and environment parsing, the environment
it builds, --help, --dry-run, a bad option, the missing module and daemon
messages with and without --require, exec (same process, exit status and
signal of the command), the bootstrap attaching to an unmodified script's
torchvision model and optimizer with bitwise-identical losses, chaining to
an existing sitecustomize, a model attached by the script itself left
alone, and the layer marks of a step covering it whole with the same
sequence every step.  Prints TAP.

The paths below are filled in by the build (python/python.mk).
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading

SOURCE_DIR = None
BUILD_DIR = None

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = SOURCE_DIR or os.environ.get("SENTINEL_TOP") or \
    os.path.dirname(os.path.dirname(HERE))
BUILD = BUILD_DIR or os.environ.get("SENTINEL_BUILD") or \
    os.path.join(TOP, "build")
PY = "/usr/bin/python3"
LAUNCHER = os.path.join(BUILD, "python", "sentinel-run")
PRELOAD = os.path.join(BUILD, "lib", "libsentinel-preload.so")
# A library already in LD_PRELOAD.
OTHER = os.path.join(BUILD, "lib", "libsentinel.so.0")

sys.path.insert(0, os.path.join(TOP, "python"))
from sentinel import run  # noqa: E402

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


def raises(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except run.UsageError:
        return True
    return False


def base_env(**extra):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("SENTINEL_") or k in ("LD_PRELOAD", "PYTHONPATH"):
            del e[k]
    e["OMP_NUM_THREADS"] = "1"
    e["PYTHONHASHSEED"] = "0"
    e.update(extra)
    return e


class FakeDaemon:
    """Answers sentineld's "ping" on a Unix socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.recv(64)
                c.sendall(b'{"pong":true}\n')


def test_parsing():
    ok(run.parse_size("256K") == 256 << 10 and run.parse_size("1M") == 1 << 20
       and run.parse_size("2g") == 2 << 30 and run.parse_size("4096") == 4096
       and run.parse_size("64KiB") == 64 << 10
       and run.parse_size("3MB") == 3 << 20
       and run.parse_size("0") == 0,
       "sizes: digits with K, M, G (KiB, MB) suffixes")
    ok(all(raises(run.parse_size, v)
           for v in ("", "-1", "1T", "1.5M", "M", "12 K x")),
       "bad sizes are usage errors")
    ok(run.parse_steps("0") == 0 and run.parse_steps("1000000") == 1000000 and
       all(raises(run.parse_steps, v) for v in ("-1", "1000001", "x", "")),
       "warm-up steps: 0 to 1000000")

    c = run.parse_args(["-w", "3", "--threshold=1M", "-v", "--require",
                        "--no-attach", "--preload", "/x.so", "--device=/d",
                        "--socket", "/s", "-n", "--", "python3", "-v", "t.py"],
                       env={})
    ok((c.warmup, c.threshold, c.verbose, c.require, c.attach, c.preload,
        c.device, c.socket, c.dry_run, c.command) ==
       (3, "1M", True, True, False, "/x.so", "/d", "/s", True,
        ["python3", "-v", "t.py"]),
       "every option, '--opt=value' and '--opt value', then the command "
       "after --")
    c = run.parse_args(["python3", "--verbose", "t.py"], env={})
    ok(c.command == ["python3", "--verbose", "t.py"] and not c.verbose,
       "options stop at the first word that is not one")
    env = {"SENTINEL_WARMUP_STEPS": "5", "SENTINEL_PRELOAD_THRESHOLD": "64K",
           "SENTINEL_VERBOSE": "1", "SENTINEL_REQUIRE": "yes",
           "SENTINEL_ATTACH": "0", "SENTINEL_DRY_RUN": "1",
           "SENTINEL_SOCKET": "/sock", "SENTINEL_DEVICE": "/dev/x",
           "SENTINEL_PRELOAD_LIBRARY": "/p.so"}
    c = run.parse_args(["cmd"], env=env)
    ok((c.warmup, c.threshold, c.verbose, c.require, c.attach, c.dry_run,
        c.socket, c.device, c.preload) ==
       (5, "64K", True, True, False, True, "/sock", "/dev/x", "/p.so"),
       "each option has its environment variable")
    c = run.parse_args(["-w", "7", "-t", "2M", "cmd"], env=env)
    ok(c.warmup == 7 and c.threshold == "2M",
       "an option overrides its variable")
    c = run.parse_args(["cmd"], env={"SENTINEL_VERBOSE": "0",
                                     "SENTINEL_REQUIRE": ""})
    ok(not c.verbose and not c.require and c.attach and c.warmup is None,
       "0 and empty are off; defaults: attach, no warm-up override")
    ok(all(raises(run.parse_args, a, env={}) for a in
           (["--bogus", "x"], ["-w"], ["-w", "x", "cmd"], ["-t", "1Q", "cmd"],
            [], ["-v"], ["--verbose=1", "cmd"])),
       "unknown options, missing values, bad values and no command are "
       "usage errors")
    ok(raises(run.parse_args, ["cmd"],
              env={"SENTINEL_PRELOAD_THRESHOLD": "big"}),
       "a bad value in the environment is a usage error too")
    c = run.parse_args(["-r", "aligned", "cmd"],
                       env={"SENTINEL_PRELOAD_ROUTE": "all"})
    new = run.plan(c, {}, "/lib.so")
    ok(run.parse_args(["cmd"], env={}).route is None and
       run.parse_args(["cmd"], env={"SENTINEL_PRELOAD_ROUTE": "all"}).route
       == "all" and c.route == "aligned" and
       new["SENTINEL_PRELOAD_ROUTE"] == "aligned" and
       "SENTINEL_PRELOAD_ROUTE" not in run.plan(run.parse_args(["x"], env={}),
                                                {}, "/lib.so"),
       "--route and SENTINEL_PRELOAD_ROUTE: given, passed on; not given, "
       "not set")
    ok(raises(run.parse_args, ["--route", "some", "cmd"], env={}) and
       raises(run.parse_args, ["cmd"], env={"SENTINEL_PRELOAD_ROUTE": "x"}),
       "a route other than all or aligned is a usage error")

    c = run.parse_args(["-H", "fc.*=pin-fast", "--hint=*.bias=never_promote",
                        "cmd"], env={"SENTINEL_HINTS": "x=prefer_slow"})
    new = run.plan(c, {}, "/lib.so")
    ok(c.hints == [("x", "prefer_slow"), ("fc.*", "pin_fast"),
                   ("*.bias", "never_promote")] and
       new["SENTINEL_HINTS"] == "x=prefer_slow,fc.*=pin_fast,"
       "*.bias=never_promote" and
       run.parse_hints(new["SENTINEL_HINTS"]) == c.hints and
       "SENTINEL_HINTS" not in run.plan(run.parse_args(["x"], env={}), {},
                                        "/lib.so"),
       "--hint (repeated) after SENTINEL_HINTS, passed on in order")
    ok(all(raises(run.parse_args, a, env={}) for a in
           (["--hint", "fc=fastest", "cmd"], ["--hint", "fc", "cmd"],
            ["--hint", "=pin_fast", "cmd"], ["-H", "a=pin_fast,b=none",
                                             "cmd"])) and
       raises(run.parse_args, ["cmd"], env={"SENTINEL_HINTS": "fc=pin"}),
       "an unknown hint, no pattern, no '=', two per --hint: usage errors")

    c = run.parse_args(["-t", "32K", "-w", "1", "-v", "cmd"], env={})
    new = run.plan(c, {"LD_PRELOAD": "/a.so:/lib.so", "PYTHONPATH": "/pp",
                       "SENTINEL_DRY_RUN": "1"}, "/lib.so")
    ok(new["LD_PRELOAD"] == "/lib.so:/a.so" and
       new["PYTHONPATH"] == run.BOOT_DIR + ":/pp" and
       new["SENTINEL_PRELOAD_THRESHOLD"] == "32K" and
       new["SENTINEL_WARMUP_STEPS"] == "1" and
       new["SENTINEL_VERBOSE"] == "1" and
       new["SENTINEL_ATTACH"] == "1" and "SENTINEL_DRY_RUN" not in new,
       "environment: interposer first in LD_PRELOAD (once), bootstrap "
       "first in PYTHONPATH, the knobs")
    c = run.parse_args(["--no-attach", "cmd"], env={})
    new = run.plan(c, {}, "/lib.so")
    ok(new["LD_PRELOAD"] == "/lib.so" and "PYTHONPATH" not in new and
       new["SENTINEL_ATTACH"] == "0", "--no-attach: the interposer only")
    ok(run.find_preload(run.parse_args(["x"], env={}), BUILD) == PRELOAD,
       "the interposer is found in the build tree")
    ok(run.find_preload(run.parse_args(["--preload", "/none.so", "x"], env={}))
       is None, "--preload of a missing file: not found")


def launch(args, env, **kw):
    return subprocess.run([LAUNCHER] + args, env=env, capture_output=True,
                          text=True, timeout=120, **kw)


def test_cli(tmp):
    nomod = base_env(SENTINEL_DEVICE="/nonexistent/sentinel")
    p = launch(["--help"], nomod)
    ok(p.returncode == 0 and "usage: sentinel-run" in p.stdout, "--help")
    p = subprocess.run([PY, "-m", "sentinel.run", "--help"],
                       capture_output=True, text=True, timeout=60,
                       env=dict(nomod, PYTHONPATH=os.path.join(TOP, "python")))
    ok(p.returncode == 0 and "usage: sentinel-run" in p.stdout,
       "python3 -m sentinel.run --help")
    p = launch(["--bogus", "true"], nomod)
    ok(p.returncode == 64 and "unknown option --bogus" in p.stderr,
       "a bad option: exit status 64 and a message")

    # No module: one line, then the command unchanged, its exit status.
    p = launch(["--", "sh", "-c", 'echo "[$LD_PRELOAD][$PYTHONPATH]"; exit 7'],
               nomod)
    lines = p.stderr.strip().splitlines()
    diag(p.stderr)
    ok(p.returncode == 7 and p.stdout.strip() == "[][]" and len(lines) == 1 and
       "modprobe sentinel" in lines[0] and "without Sentinel" in lines[0],
       "no module: one line saying what to do, the command runs unchanged, "
       "its exit status")
    p = launch(["--require", "--", "sh", "-c", "echo ran"], nomod)
    ok(p.returncode == 69 and p.stdout == "" and
       "modprobe sentinel" in p.stderr and "--require" in p.stderr,
       "no module with --require: exit status 69, the command does not run")
    p = launch(["--", "true"], dict(nomod, SENTINEL_REQUIRE="1"))
    ok(p.returncode == 69, "SENTINEL_REQUIRE=1 is --require")

    # A module (any existing file) without a daemon.
    nodaemon = base_env(SENTINEL_DEVICE="/dev/null",
                        SENTINEL_SOCKET=os.path.join(tmp, "none.sock"))
    p = launch(["--", "true"], nodaemon)
    ok(p.returncode == 0 and "sentineld is not running" in p.stderr and
       "systemctl start sentineld" in p.stderr and
       len(p.stderr.strip().splitlines()) == 1,
       "no daemon: one line saying what to do, the command runs")
    p = launch(["--require", "--dry-run", "--", "true"], nodaemon)
    ok(p.returncode == 69 and p.stdout == "",
       "no daemon, --require --dry-run: 69")

    # Module and daemon "present": the full environment.
    sock = os.path.join(tmp, "d.sock")
    FakeDaemon(sock)
    good = base_env(SENTINEL_DEVICE="/dev/null", SENTINEL_SOCKET=sock,
                    LD_PRELOAD=OTHER, PYTHONPATH="/mine")
    p = launch(["--dry-run", "-t", "32K", "-w", "2", "-v", "--", "python3",
                "train.py", "--lr", "0.1"], good)
    diag(p.stdout)
    out = p.stdout.splitlines()
    ok(p.returncode == 0 and p.stderr == "" and
       "LD_PRELOAD=%s:%s" % (PRELOAD, OTHER) in out and
       "PYTHONPATH=%s:/mine" % run.BOOT_DIR in out and
       "SENTINEL_PRELOAD_THRESHOLD=32K" in out and
       "SENTINEL_WARMUP_STEPS=2" in out and "SENTINEL_VERBOSE=1" in out and
       out[-1] == "python3 train.py --lr 0.1",
       "--dry-run prints the variables it sets and the command, exit 0")
    p = launch(["--", PY, "-c", "import os; print(os.getpid(), "
                "os.environ['LD_PRELOAD'])"], good)
    ok(p.returncode == 0 and p.stdout.split()[1:] == [PRELOAD + ":" + OTHER],
       "the command runs with the interposer preloaded")
    q = subprocess.Popen([LAUNCHER, "--", PY, "-c",
                          "import os; print(os.getpid())"],
                         env=good, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    out, _ = q.communicate(timeout=60)
    ok(q.returncode == 0 and out.strip() == str(q.pid),
       "exec: the command is the launcher's process")
    p = launch(["--", "sh", "-c", "kill -TERM $$"], good)
    ok(p.returncode == -15,
       "a signal that kills the command is its status (%d)" % p.returncode)
    p = launch(["--", "/nonexistent/cmd"], good)
    ok(p.returncode == 127 and "not found" in p.stderr,
       "a missing command: 127")


SCRIPT = r"""
import struct
import torch
import torchvision

torch.manual_seed(0)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
model = torchvision.models.mobilenet_v2(num_classes=10)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
crit = torch.nn.CrossEntropyLoss()
x = torch.randn(4, 3, 32, 32)
y = torch.randint(0, 10, (4,))
model.train()
for step in range(3):
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    bits = struct.unpack("<I", struct.pack("<f", loss.item()))[0]
    print("loss %d %08x" % (step, bits))
"""

MANUAL = r"""
import torch, sentinel.torch
model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(),
                            torch.nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
tr = sentinel.torch.attach(model, opt)
for _ in range(2):
    opt.zero_grad(); model(torch.randn(4, 8)).sum().backward(); opt.step()
print("steps", tr.counters["steps"])
"""


ROUTE = r"""
import ctypes, sentinel
names = ("all", "aligned")
before = names[sentinel.preload_route()]
import torch
t = torch.zeros(1 << 18)
b = bytearray(1 << 20)
addr = ctypes.addressof((ctypes.c_char * len(b)).from_buffer(b))
print(before, names[sentinel.preload_route()], sentinel.preload_threshold(),
      sentinel.owns(t.data_ptr()), sentinel.owns(addr))
"""


HINTED = r"""
import sentinel, torch
torch.manual_seed(1)
model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(),
                            torch.nn.Linear(512, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(2):
    opt.zero_grad(); model(torch.randn(4, 256)).sum().backward(); opt.step()
import sentinel.torch as st
print(st._hint_of(model[0].weight), st._hint_of(model[0].bias),
      st._hint_of(model[2].weight), st._hint_of(model[2].bias))
"""


def bootstrap_env(tmp, extra_pythonpath=None):
    env = base_env(SENTINEL_DEVICE="/nonexistent/sentinel",
                   SENTINEL_LIBRARY=OTHER)
    if extra_pythonpath:
        env["PYTHONPATH"] = extra_pythonpath
    c = run.parse_args(["-t", "32K", "-w", "1", "-v", "x"], env=env)
    return run.plan(c, env, PRELOAD)


def test_bootstrap(tmp):
    script = os.path.join(tmp, "train.py")
    with open(script, "w") as f:
        f.write(SCRIPT)
    other = os.path.join(tmp, "site")
    os.mkdir(other)
    with open(os.path.join(other, "sitecustomize.py"), "w") as f:
        f.write("import sys\n"
                "print('chained sitecustomize', file=sys.stderr)\n")
    plain = subprocess.run([PY, script], env=base_env(), capture_output=True,
                           text=True, timeout=300)
    env = bootstrap_env(tmp, other)
    sent = subprocess.run([PY, script], env=env, capture_output=True,
                          text=True, timeout=300)
    diag("plain:    " + " ".join(plain.stdout.split()))
    diag("sentinel: " + " ".join(sent.stdout.split()))
    diag(sent.stderr[-2000:])
    ok(plain.returncode == 0 and sent.returncode == 0 and
       len(plain.stdout.splitlines()) == 3 and plain.stdout == sent.stdout,
       "mobilenet_v2, unmodified script: losses bitwise identical plainly and "
       "under the interposer and the bootstrap")
    ok("attached to MobileNetV2 (" in sent.stderr and
       "with SGD" in sent.stderr,
       "the bootstrap attached the model with its optimizer")
    m = re.search(r"(\d+) model\(s\), (\d+) steps, \d+ marks sent, "
                  r"(\d+) errors", sent.stderr)
    ok(m is not None and m.groups() == ("1", "3", "0"),
       "exit summary: 1 model, 3 steps, no errors")
    ok("chained sitecustomize" in sent.stderr,
       "an existing sitecustomize still runs")
    p = subprocess.run([PY, "-c", MANUAL], env=bootstrap_env(tmp),
                       capture_output=True, text=True, timeout=120)
    ok(p.returncode == 0 and "steps 2" in p.stdout and
       "attached to" not in p.stderr,
       "a model the script attached itself is not attached again")
    env = bootstrap_env(tmp)
    del env["SENTINEL_PRELOAD_THRESHOLD"]
    p = subprocess.run([PY, "-c", ROUTE], env=env, capture_output=True,
                       text=True, timeout=120)
    diag(p.stdout + p.stderr[-1000:])
    ok(p.returncode == 0 and p.stdout.split() == ["all", "aligned", "262144",
                                                  "True", "False"],
       "once torch is imported, only tensor storages are routed: route all, "
       "then aligned at the same threshold; a 1 MiB tensor owned by "
       "libsentinel, a 1 MiB bytearray not")
    env["SENTINEL_PRELOAD_ROUTE"] = "all"
    p = subprocess.run([PY, "-c", ROUTE], env=env, capture_output=True,
                       text=True, timeout=120)
    ok(p.returncode == 0 and p.stdout.split() == ["all", "all", "262144",
                                                  "True", "True"],
       "SENTINEL_PRELOAD_ROUTE=all (--route all) keeps the route: the "
       "bytearray is routed too")
    env = bootstrap_env(tmp)
    env["SENTINEL_HINTS"] = "0.*=pin_fast,*.bias=prefer_slow,9.*=none"
    p = subprocess.run([PY, "-c", HINTED], env=env, capture_output=True,
                       text=True, timeout=120)
    diag(p.stdout + p.stderr[-1000:])
    ok(p.returncode == 0 and p.stdout.split() == ["4", "32", "0", "32"],
       "SENTINEL_HINTS (--hint): the bootstrap hints the parameters by "
       "name, the last matching pattern wins")
    ok("--hint 9.*=none matches no parameter or buffer of Sequential"
       in p.stderr, "a pattern that matches nothing is reported")
    p = subprocess.run([PY, "-c", "import sys; print('torch' in sys.modules)"],
                       env=bootstrap_env(tmp), capture_output=True, text=True,
                       timeout=60)
    ok(p.returncode == 0 and p.stdout.strip() == "False" and p.stderr == "",
       "a program without torch: nothing imported, nothing said")


MARKS = r"""
import json, torch, torchvision, sentinel.torch as st

class Fake:
    available = False
    def __init__(self):
        self.log = []
    def step_begin(self, n):
        self.log.append(("SB",)); return True
    def step_end(self, n):
        self.log.append(("SE",)); return True
    def layer_begin(self, l, d):
        self.log.append(("LB", l, d)); return True
    def layer_end(self, l, d):
        self.log.append(("LE", l, d)); return True

torch.manual_seed(0); torch.set_num_threads(1)
out = {}
for name in ("resnet18", "mlp"):
    if name == "resnet18":
        model = torchvision.models.resnet18(num_classes=10)
        x = torch.randn(2, 3, 32, 32)
    else:
        model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(),
                                    torch.nn.Linear(32, 10))
        x = torch.randn(4, 16)
    y = torch.randint(0, 10, (x.shape[0],))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    f = Fake()
    tr = st.attach(model, opt, f)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    steps, cur, bad, prev = [], None, 0, None
    for m in f.log:
        if m[0] == "SB":
            cur = []
            if prev not in (None, "SE"):
                bad += 1
        elif m[0] == "SE":
            if prev != "LE":
                bad += 1
            steps.append(cur); cur = None
        elif cur is not None:
            # inside a step: LB right after SB or LE, LE right after LB
            if (m[0] == "LB") != (prev in ("SB", "LE")):
                bad += 1
            cur.append(m)
        prev = m[0]
    ids = {m[1] for s in steps for m in s}
    out[name] = {"steps": len(steps), "bad": bad,
                 "same": all(s == steps[0] for s in steps),
                 "max_id": max(ids), "leaves": len(tr.leaves),
                 "marks": [len(s) for s in steps],
                 "between": sum(1 for m in steps[0]
                                if m[0] == "LB" and m[1] > tr.optimizer_layer)}
print(json.dumps(out))
"""


def test_marks():
    import json
    p = subprocess.run([PY, "-c", MARKS], capture_output=True, text=True,
                       timeout=300,
                       env=base_env(PYTHONPATH=os.path.join(TOP, "python"),
                                    SENTINEL_LIBRARY=os.path.join(
                                        BUILD, "lib", "libsentinel.so.0"),
                                    SENTINEL_DEVICE="/nonexistent/sentinel"))
    try:
        r = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        diag(p.stderr[-3000:])
        ok(False, "layer marks recorded")
        return
    diag(json.dumps(r))
    for name, v in sorted(r.items()):
        ok(v["steps"] == 3 and v["bad"] == 0,
           "%s: inside a step every layer end is followed by a layer begin "
           "(the layers cover the step)" % name)
        ok(v["same"], "%s: the same layer sequence every step (%d marks)"
           % (name, v["marks"][0]))
        ok(v["max_id"] <= 2 * v["leaves"] + 1 and v["between"] > 0,
           "%s: the work between leaves has layers of its own "
           "(%d, ids up to %d)" % (name, v["between"], v["max_id"]))


def main():
    if not os.path.exists(PRELOAD) or not os.path.exists(LAUNCHER):
        ok(False, "%s and %s exist (make userspace)" % (PRELOAD, LAUNCHER))
        print("1..%d" % n)
        return 1
    test_parsing()
    with tempfile.TemporaryDirectory(prefix="srun-") as tmp:
        test_cli(tmp)
        test_bootstrap(tmp)
    test_marks()
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
