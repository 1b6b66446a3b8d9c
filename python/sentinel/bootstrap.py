# SPDX-License-Identifier: LGPL-2.1-or-later
"""In the program sentinel-run started: attach once torch is imported.

sentinel-run's sitecustomize calls install(), which, unless
SENTINEL_ATTACH=0, waits for the program's "import torch" (a finder on
sys.meta_path, removed at once) and then installs
sentinel.torch.AutoAttach with the settings of the environment:
SENTINEL_WARMUP_STEPS, SENTINEL_VERBOSE, SENTINEL_HINTS.  Nothing is imported before
torch is: a program that does not use torch is not touched.

Once torch is imported, the interposer routes only tensor storages
(route "aligned"): PyTorch's CPU allocator asks for each storage aligned
to 64 bytes, the interpreter and C++ containers do not, so that no
object holds anything but a tensor.  SENTINEL_PRELOAD_ROUTE
(sentinel-run --route) keeps the route it names; the threshold stays
what SENTINEL_PRELOAD_THRESHOLD (--threshold) says, 256K by default.
"""

import atexit
import importlib.abc
import os
import sys

_state = {"auto": None, "finder": None}


def _log(msg):
    print("sentinel-run: " + msg, file=sys.stderr, flush=True)


def activate():
    """Install AutoAttach now (torch is imported); returns it or None."""
    if _state["auto"] is not None:
        return _state["auto"]
    from sentinel import run
    import sentinel.torch as st
    env = os.environ
    try:
        warmup = run.parse_steps(env["SENTINEL_WARMUP_STEPS"]) \
            if env.get("SENTINEL_WARMUP_STEPS", "").strip() else None
    except run.UsageError as e:
        _log("SENTINEL_WARMUP_STEPS: %s; ignored" % e)
        warmup = None
    verbose = run._flag(env.get("SENTINEL_VERBOSE", ""))
    try:
        hints = run.parse_hints(env.get("SENTINEL_HINTS", ""))
    except run.UsageError as e:
        _log("SENTINEL_HINTS: %s; ignored" % e)
        hints = []
    _route_tensors(env)
    auto = st.AutoAttach(warmup=warmup, verbose=verbose, log=_log,
                         hints=hints).install()
    _state["auto"] = auto
    atexit.register(auto.finish)
    return auto


def _route_tensors(env):
    """Route only the tensor storages (the module docstring)."""
    import sentinel
    if env.get("SENTINEL_PRELOAD_ROUTE", "").strip():
        return
    size = sentinel.preload_threshold()
    if size:
        sentinel.set_preload_route(sentinel.PRELOAD_ROUTE_ALIGNED, size)


class _TorchFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of "torch" so that
    activate() runs right after torch's own module has run."""

    def find_spec(self, name, path, target=None):
        if name != "torch":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or \
           not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        run_module = loader.exec_module

        def exec_module(module):
            run_module(module)
            try:
                activate()
            except Exception as e:          # never break the program
                _log("not attaching: %r" % (e,))

        loader.exec_module = exec_module
        return spec


def install():
    """Attach when torch gets imported (now if it already is)."""
    from sentinel import run
    if not run._flag(os.environ.get("SENTINEL_ATTACH", "1")):
        return
    if "torch" in sys.modules:
        activate()
        return
    if _state["finder"] is None:
        _state["finder"] = _TorchFinder()
        sys.meta_path.insert(0, _state["finder"])
