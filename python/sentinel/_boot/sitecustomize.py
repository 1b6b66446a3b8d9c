# SPDX-License-Identifier: LGPL-2.1-or-later
"""sentinel-run's bootstrap: this directory is put first in PYTHONPATH.

Runs the sitecustomize module that this one hides, if any, then lets
sentinel.bootstrap attach to PyTorch models once torch is imported.  It
never stops the program: an error is reported on standard error.
"""

import os
import sys


def _sentinel_boot():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        import importlib.machinery
        import importlib.util
        path = [p for p in sys.path
                if os.path.abspath(p or os.curdir) != here]
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
        if spec is not None and spec.loader is not None:
            mine = sys.modules.get("sitecustomize")
            other = importlib.util.module_from_spec(spec)
            sys.modules["sitecustomize"] = other
            try:
                spec.loader.exec_module(other)
            finally:
                if mine is not None:
                    sys.modules["sitecustomize"] = mine
    except Exception as e:              # as site.py does for its own
        print("sentinel-run: error in the chained sitecustomize: %r" % (e,),
              file=sys.stderr)
    try:
        try:
            import sentinel.bootstrap
        except ImportError:
            # The package is the grandparent of this directory.
            sys.path.append(os.path.dirname(os.path.dirname(here)))
            import sentinel.bootstrap
        sentinel.bootstrap.install()
    except Exception as e:
        print("sentinel-run: bootstrap failed, running without attaching: %r"
              % (e,), file=sys.stderr)


_sentinel_boot()
del _sentinel_boot
