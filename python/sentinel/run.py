# SPDX-License-Identifier: LGPL-2.1-or-later
"""sentinel-run: run an unmodified training program under Sentinel.

    sentinel-run [OPTIONS] [--] COMMAND [ARG...]
    python3 -m sentinel.run [OPTIONS] [--] COMMAND [ARG...]

It checks that the module (/dev/sentinel) and the daemon (sentineld's
control socket) are there, then replaces itself (exec) with COMMAND in an
environment that

* preloads the malloc interposer libsentinel-preload.so (ahead of an
  LD_PRELOAD already set), so that large allocations become objects;
* sets the knobs given as options (each also an environment variable);
* prepends to PYTHONPATH a directory holding a sitecustomize.py (which
  runs any other sitecustomize.py too), so that a Python program, once
  it imports torch, is attached to every model and optimizer it creates
  (sentinel.torch.AutoAttach, the machinery of sentinel.torch.attach):
  steps, layers and objects reach the module with no change to the
  program.

When the module, the daemon or the interposer is missing it says on one
line of standard error what to do and runs COMMAND unchanged, or, with
--require, exits with status 69 (EX_UNAVAILABLE).  See
Documentation/python.rst and sentinel-run(1).

This module does not import torch.
"""

import os
import re
import shlex
import socket
import sys
import sysconfig

__all__ = ["main", "parse_args", "plan", "find_preload", "parse_size",
           "parse_steps", "parse_hints", "Config", "UsageError"]

EX_USAGE = 64
EX_UNAVAILABLE = 69
DEFAULT_DEVICE = "/dev/sentinel"
DEFAULT_SOCKET = "/run/sentinel/sentineld.sock"
PRELOAD_NAME = "libsentinel-preload.so"
MAX_WARMUP = 1000000

HERE = os.path.dirname(os.path.abspath(__file__))
BOOT_DIR = os.path.join(HERE, "_boot")

USAGE = """\
usage: sentinel-run [OPTIONS] [--] COMMAND [ARG...]

Run COMMAND (a training program, unmodified) under Sentinel.

options (each also an environment variable):
  -w, --warmup N        profile the session after N warm-up steps
                        (SENTINEL_WARMUP_STEPS; default: the module's
                        profile_warmup_steps knob)
  -t, --threshold SIZE  smallest allocation given to Sentinel, bytes with
                        an optional K, M or G suffix
                        (SENTINEL_PRELOAD_THRESHOLD; default 256K)
  -r, --route ROUTE     the allocations given to Sentinel: all (from every
                        allocation function) or aligned (requests aligned
                        to 64 bytes: PyTorch's tensor storages)
                        (SENTINEL_PRELOAD_ROUTE; default all, and aligned
                        once PyTorch is imported)
  -H, --hint PATTERN=HINT
                        give the parameters and buffers whose names match
                        PATTERN (shell-style, as model.named_parameters()
                        names them: 'fc.*', '*.bias') a placement hint:
                        pin_fast, never_promote, prefer_fast, prefer_slow
                        or none; may be repeated, the last match wins
                        (SENTINEL_HINTS: PATTERN=HINT,...)
  -v, --verbose         say what is attached, and a summary at exit
                        (SENTINEL_VERBOSE=1)
      --require         exit with status 69 instead of running COMMAND
                        without Sentinel when the module, the daemon or
                        the interposer is missing (SENTINEL_REQUIRE=1)
      --no-attach       only preload the interposer; do not attach to
                        PyTorch models (SENTINEL_ATTACH=0)
      --preload PATH    the interposer (SENTINEL_PRELOAD_LIBRARY)
      --device PATH     the module's device (SENTINEL_DEVICE;
                        default /dev/sentinel)
      --socket PATH     sentineld's control socket (SENTINEL_SOCKET;
                        default /run/sentinel/sentineld.sock)
  -n, --dry-run         print the environment and the command that would
                        run, and exit (SENTINEL_DRY_RUN=1)
  -h, --help            this help
"""


class UsageError(Exception):
    """A bad option or value (exit status 64)."""


_SIZE = re.compile(r"^\s*(\d+)\s*(?:([kmg])(?:i?b)?|b)?\s*$", re.I)


def parse_size(text):
    """Bytes of a size as the interposer reads it: digits with an optional
    K, M or G suffix (binary units; KiB, MB and the like accepted)."""
    m = _SIZE.match(str(text))
    if not m:
        raise UsageError("bad size %r (bytes with an optional K, M or G "
                         "suffix)" % text)
    shift = {"": 0, "k": 10, "m": 20, "g": 30}[(m.group(2) or "").lower()]
    return int(m.group(1)) << shift


def parse_steps(text):
    """A number of warm-up steps: 0..1000000."""
    t = str(text).strip()
    if not t.isdigit() or int(t) > MAX_WARMUP:
        raise UsageError("bad number of warm-up steps %r (0 to %d)"
                         % (text, MAX_WARMUP))
    return int(t)


def parse_route(text):
    """What the interposer routes: "all" or "aligned"."""
    t = str(text).strip()
    if t not in ("all", "aligned"):
        raise UsageError("bad route %r (all or aligned)" % text)
    return t


HINT_NAMES = ("pin_fast", "never_promote", "prefer_fast", "prefer_slow",
              "none")


def parse_hints(text):
    """[(pattern, hint)] of "PATTERN=HINT[,PATTERN=HINT...]"; hint names
    as sentinel.HINTS has them ("-" for "_" accepted)."""
    out = []
    for item in str(text).split(","):
        if not item.strip():
            continue
        pattern, eq, name = item.rpartition("=")
        name = name.strip().lower().replace("-", "_")
        pattern = pattern.strip()
        if not eq or not pattern or name not in HINT_NAMES:
            raise UsageError("bad hint %r (PATTERN=HINT, HINT one of %s)"
                             % (item.strip(), ", ".join(HINT_NAMES)))
        out.append((pattern, name))
    return out


def format_hints(hints):
    """The SENTINEL_HINTS text of [(pattern, hint)]."""
    return ",".join("%s=%s" % h for h in hints)


def _flag(value):
    return str(value).strip().lower() not in ("", "0", "no", "false", "off")


class Config:
    """The launcher's settings, from the environment then the options."""

    def __init__(self):
        self.warmup = None
        self.threshold = None       # the text given (validated)
        self.route = None           # "all", "aligned" or None (not given)
        self.hints = []             # [(pattern, hint name)]
        self.verbose = False
        self.require = False
        self.attach = True
        self.preload = None
        self.device = None
        self.socket = None
        self.dry_run = False
        self.command = []
        self.help = False

    @classmethod
    def from_env(cls, env):
        c = cls()
        if env.get("SENTINEL_WARMUP_STEPS", "").strip():
            c.warmup = parse_steps(env["SENTINEL_WARMUP_STEPS"])
        if env.get("SENTINEL_PRELOAD_THRESHOLD", "").strip():
            parse_size(env["SENTINEL_PRELOAD_THRESHOLD"])
            c.threshold = env["SENTINEL_PRELOAD_THRESHOLD"].strip()
        if env.get("SENTINEL_PRELOAD_ROUTE", "").strip():
            c.route = parse_route(env["SENTINEL_PRELOAD_ROUTE"])
        c.hints = parse_hints(env.get("SENTINEL_HINTS", ""))
        c.verbose = _flag(env.get("SENTINEL_VERBOSE", ""))
        c.require = _flag(env.get("SENTINEL_REQUIRE", ""))
        c.attach = _flag(env.get("SENTINEL_ATTACH", "1"))
        c.dry_run = _flag(env.get("SENTINEL_DRY_RUN", ""))
        c.preload = env.get("SENTINEL_PRELOAD_LIBRARY") or None
        c.device = env.get("SENTINEL_DEVICE") or None
        c.socket = env.get("SENTINEL_SOCKET") or None
        return c


_WITH_VALUE = {"-w": "warmup", "--warmup": "warmup",
               "-t": "threshold", "--threshold": "threshold",
               "-r": "route", "--route": "route",
               "-H": "hints", "--hint": "hints",
               "--preload": "preload", "--device": "device",
               "--socket": "socket"}
_FLAGS = {"-v": ("verbose", True), "--verbose": ("verbose", True),
          "--require": ("require", True), "--no-attach": ("attach", False),
          "-n": ("dry_run", True), "--dry-run": ("dry_run", True),
          "-h": ("help", True), "--help": ("help", True)}


def parse_args(argv, env=None):
    """A Config from the environment and argv (options, then COMMAND)."""
    c = Config.from_env(os.environ if env is None else env)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        name, eq, value = a.partition("=") if a.startswith("--") \
            else (a, "", "")
        if name in _FLAGS and not eq:
            attr, v = _FLAGS[name]
            setattr(c, attr, v)
        elif name in _WITH_VALUE:
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError("option %s needs a value" % name)
                i += 1
                value = argv[i]
            attr = _WITH_VALUE[name]
            if attr == "warmup":
                value = parse_steps(value)
            elif attr == "threshold":
                parse_size(value)
                value = value.strip()
            elif attr == "route":
                value = parse_route(value)
            elif attr == "hints":
                if "," in value:
                    raise UsageError("one PATTERN=HINT per --hint (%r)"
                                     % value)
                value = c.hints + parse_hints(value)
            setattr(c, attr, value)
        else:
            raise UsageError("unknown option %s" % a)
        i += 1
    c.command = list(argv[i:])
    if not c.command and not c.help:
        raise UsageError("no command given")
    return c


# ---- finding things ----

def _multiarch():
    return sysconfig.get_config_var("MULTIARCH") or ""


def preload_candidates(build_dir=None):
    """Where the interposer is looked for, in order (after --preload):
    the build directory of this script, the build tree next to this
    package (build/lib/), the directory of $SENTINEL_LIBRARY, the library
    directory of the prefix this package is installed under, and the
    system's library directories (Debian's package puts the interposer in
    /usr/lib/<multiarch>/sentinel/)."""
    dirs = []
    if build_dir:
        dirs.append(os.path.join(build_dir, "lib"))
    dirs.append(os.path.join(os.path.dirname(os.path.dirname(HERE)),
                             "build", "lib"))
    lib = os.environ.get("SENTINEL_LIBRARY")
    if lib:
        dirs.append(os.path.dirname(os.path.abspath(lib)))
    # <prefix>/lib/python3.X/dist-packages/sentinel or
    # /usr/lib/python3/dist-packages/sentinel
    site_lib = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
    ma = _multiarch()
    for d in (site_lib, "/usr/local/lib", "/usr/lib"):
        dirs.append(d)
        if ma:
            dirs.append(os.path.join(d, ma))
            dirs.append(os.path.join(d, ma, "sentinel"))
        dirs.append(os.path.join(d, "sentinel"))
    seen, out = set(), []
    for d in dirs:
        p = os.path.join(d, PRELOAD_NAME)
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def find_preload(config, build_dir=None):
    """The interposer's path, or None."""
    if config.preload:
        return config.preload if os.path.isfile(config.preload) else None
    for p in preload_candidates(build_dir):
        if os.path.isfile(p):
            return os.path.abspath(p)
    return None


def daemon_answers(path, timeout=2.0):
    """True when sentineld answers "ping" on its control socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(b"ping\n")
        return bool(s.recv(256))
    except OSError:
        return False
    finally:
        s.close()


def problem(config, preload):
    """What is missing, as one sentence saying what to do, or None."""
    device = config.device or DEFAULT_DEVICE
    if not os.path.exists(device):
        return ("the Sentinel module is not loaded (no %s): load it with "
                "'modprobe sentinel' ('sentinelctl doctor' checks the "
                "machine)" % device)
    sock = config.socket or DEFAULT_SOCKET
    if not daemon_answers(sock):
        return ("sentineld is not running (no answer on %s): start it with "
                "'systemctl start sentineld'" % sock)
    if preload is None:
        return ("%s not found: install it ('make install-lib') or give its "
                "path with --preload or SENTINEL_PRELOAD_LIBRARY"
                % (config.preload or PRELOAD_NAME))
    return None


def _prepend(value, old):
    parts = [p for p in (old or "").split(":") if p and p != value]
    return ":".join([value] + parts)


def plan(config, env, preload):
    """The environment COMMAND runs in (a new dict)."""
    new = dict(env)
    new["LD_PRELOAD"] = _prepend(preload, env.get("LD_PRELOAD"))
    if config.attach:
        new["PYTHONPATH"] = _prepend(BOOT_DIR, env.get("PYTHONPATH"))
        new["SENTINEL_ATTACH"] = "1"
    else:
        new["SENTINEL_ATTACH"] = "0"
    if config.threshold is not None:
        new["SENTINEL_PRELOAD_THRESHOLD"] = config.threshold
    if config.route is not None:
        new["SENTINEL_PRELOAD_ROUTE"] = config.route
    if config.warmup is not None:
        new["SENTINEL_WARMUP_STEPS"] = str(config.warmup)
    if config.hints:
        new["SENTINEL_HINTS"] = format_hints(config.hints)
    if config.verbose:
        new["SENTINEL_VERBOSE"] = "1"
    if config.device:
        new["SENTINEL_DEVICE"] = config.device
    new.pop("SENTINEL_DRY_RUN", None)       # not for COMMAND's children
    return new


def _show(env, old, command, out):
    for k in sorted(env):
        if env[k] != old.get(k):
            print("%s=%s" % (k, shlex.quote(env[k])), file=out)
    for k in sorted(set(old) - set(env)):
        print("unset %s" % k, file=out)
    print(" ".join(shlex.quote(a) for a in command), file=out)


def main(argv=None, build_dir=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        config = parse_args(argv)
    except UsageError as e:
        print("sentinel-run: %s (sentinel-run --help)" % e, file=sys.stderr)
        return EX_USAGE
    if config.help:
        sys.stdout.write(USAGE)
        return 0
    env = dict(os.environ)
    preload = find_preload(config, build_dir)
    why = problem(config, preload)
    if why is None:
        new = plan(config, env, preload)
    else:
        if config.require:
            print("sentinel-run: %s; not running %s (--require)"
                  % (why, config.command[0]), file=sys.stderr)
            return EX_UNAVAILABLE
        print("sentinel-run: %s; running %s without Sentinel"
              % (why, config.command[0]), file=sys.stderr)
        new = env
        new.pop("SENTINEL_DRY_RUN", None)
    if config.dry_run:
        _show(new, dict(os.environ), config.command, sys.stdout)
        return 0
    if config.verbose and why is None:
        print("sentinel-run: LD_PRELOAD=%s, %s" % (
            new["LD_PRELOAD"], "attaching to PyTorch models" if config.attach
            else "not attaching"), file=sys.stderr, flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(config.command[0], config.command, new)
    except FileNotFoundError:
        print("sentinel-run: %s: command not found" % config.command[0],
              file=sys.stderr)
        return 127
    except OSError as e:
        print("sentinel-run: %s: %s" % (config.command[0], e.strerror),
              file=sys.stderr)
        return 126
    return 0                                # not reached


if __name__ == "__main__":
    sys.exit(main())
