# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python binding of libsentinel, the framework library of Sentinel.

Sentinel moves tensors between memory tiers ahead of the layers that need
them.  A framework tells it which memory ranges are tensors (objects) and
where steps and layers begin and end; this package does that from Python
through ctypes over ``libsentinel.so.0``::

    import sentinel

    with sentinel.Session() as s:          # a no-op, with a warning, without the module
        oid = s.register(addr, nbytes, sentinel.KIND_WEIGHT)
        s.step_begin(1)
        s.layer_begin(0, sentinel.DIR_FORWARD)
        ...
        s.layer_end(0, sentinel.DIR_FORWARD)
        s.step_end(1)
        print(s.stats(), s.objects(residency=True))

``sentinel.torch.attach(model, optimizer)`` does all of it for a PyTorch
model.  See Documentation/python.rst.

The library is found, in this order: already loaded in the process (for
example by the LD_PRELOAD interposer libsentinel-preload.so), the path in
``$SENTINEL_LIBRARY``, the build tree next to this package
(``build/lib/``), and the system's library path.
"""

import contextlib
import ctypes
import os
import threading
import warnings

__all__ = [
    "Session", "SentinelError", "SentinelWarning", "ObjectInfo",
    "library", "available", "strerror", "preload_active",
    "preload_threshold", "preload_route", "set_preload_route",
    "allocation_hint", "alloc_info", "alloc_stats",
    "owns", "profile_start",
]

# Kinds (enum sntl_kind / enum sentinel_kind).
KIND_OTHER = 0
KIND_WEIGHT = 1
KIND_ACTIVATION = 2
KIND_GRADIENT = 3
KIND_OPTIMIZER = 4
KIND_WORKSPACE = 5
KIND_NAMES = ("other", "weight", "activation", "gradient", "optimizer",
              "workspace")

# What the interposer routes (preload.h: SENTINEL_PRELOAD_ROUTE_*).
PRELOAD_ROUTE_ALL = 0        # every allocation function, from the threshold
PRELOAD_ROUTE_ALIGNED = 1    # requests aligned to >= 64 bytes (tensors)

# Lifetime classes (enum sntl_life).
LIFE_AUTO = 0
LIFE_SHORT = 1
LIFE_STEP = 2
LIFE_PERSISTENT = 3

# Directions of layer marks (enum sntl_dir).
DIR_NONE = 0
DIR_FORWARD = 1
DIR_BACKWARD = 2
DIR_OPTIMIZER = 3

# Object flags.
OBJ_PARTIAL = 1 << 0
OBJ_SHORT_LIVED = 1 << 1
# Placement hints (one per object, never with OBJ_SHORT_LIVED).
OBJ_PIN_FAST = 1 << 2
OBJ_NEVER_PROMOTE = 1 << 3
OBJ_PREFER_FAST = 1 << 4
OBJ_PREFER_SLOW = 1 << 5
OBJ_HINTS = OBJ_PIN_FAST | OBJ_NEVER_PROMOTE | OBJ_PREFER_FAST | OBJ_PREFER_SLOW
# The hints by name, as the launcher and sentinel.torch.hint() take them.
HINTS = {"pin_fast": OBJ_PIN_FAST, "never_promote": OBJ_NEVER_PROMOTE,
         "prefer_fast": OBJ_PREFER_FAST, "prefer_slow": OBJ_PREFER_SLOW,
         "none": 0}

LAYER_NONE = 0xFFFFFFFF
# Allocator object ids (SNTL_ID_ALLOC, lib/include/sentinel.h).
ID_ALLOC = 1 << 63

# Session states (enum sntl_state).
STATE_CLOSED = 0
STATE_OPEN = 1
STATE_FORKED = 2

# Open flags.
OPEN_FOLLOW_FORK = 1 << 0
OPEN_SYNC = 1 << 1

# Module feature bits (sentinel_version.features, <linux/sentinel.h>).
FEAT_REGISTRY = 1 << 0
FEAT_MARKS = 1 << 1
FEAT_RESIDENCY = 1 << 2
FEAT_PROFILE = 1 << 3

# Error codes (enum sntl_error).
OK = 0
ENOTAVAIL = -1
EACCES = -2
EDISABLED = -3
ESESSIONS = -4
EVERSION = -5
EINVAL = -6
ENOMEM = -7
EUNMAPPED = -8
EFAULT = -9
EEXIST = -10
EOVERLAP = -11
ENOENT = -12
ELIMIT = -13
EFORKED = -14
EGONE = -15
EINTR = -16
ENOTSUP = -17
EBUSY = -18
ESYS = -19
ENODAEMON = -20
ETIMEDOUT = -21

_QUERY_RESIDENCY = 1 << 0
_MAX_NODES = 8


class SentinelError(OSError):
    """A libsentinel call failed; ``code`` is the SNTL_E* value."""

    def __init__(self, code, what=""):
        self.code = code
        msg = strerror(code)
        super().__init__("%s: %s" % (what, msg) if what else msg)


class SentinelWarning(UserWarning):
    """Sentinel is not in use (module or library absent): nothing breaks."""


# ---- ctypes structures (lib/include/sentinel.h) ----

class _OpenOpts(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("device", ctypes.c_char_p)]


class _ModuleInfo(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32),
                ("max_batch", ctypes.c_uint32), ("max_nodes", ctypes.c_uint32),
                ("features", ctypes.c_uint64)]


class _Object(ctypes.Structure):
    _fields_ = [("addr", ctypes.c_void_p), ("len", ctypes.c_size_t),
                ("id", ctypes.c_uint64), ("kind", ctypes.c_uint16),
                ("flags", ctypes.c_uint16), ("layer", ctypes.c_uint32)]


class _ObjInfo(ctypes.Structure):
    _fields_ = [("addr", ctypes.c_uint64), ("len", ctypes.c_uint64),
                ("id", ctypes.c_uint64), ("kind", ctypes.c_uint16),
                ("flags", ctypes.c_uint16), ("layer", ctypes.c_uint32),
                ("state", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("pages", ctypes.c_uint64), ("present_pages", ctypes.c_uint64),
                ("thp_pages", ctypes.c_uint64),
                ("unmapped_pages", ctypes.c_uint64),
                ("node_pages", ctypes.c_uint64 * _MAX_NODES),
                ("steady_scans", ctypes.c_uint64),
                ("steady_touched", ctypes.c_uint64)]


class _Cursor(ctypes.Structure):
    _fields_ = [("last_id", ctypes.c_uint64), ("started", ctypes.c_uint32),
                ("done", ctypes.c_uint32)]


_SESSION_STATS = ("session_id", "objects", "bytes", "registered",
                  "unregistered", "marks", "steps", "last_step",
                  "unterminated_steps", "outside_layer_marks", "errors")


class _SessionStats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in _SESSION_STATS]


# struct sntl_job_stats after its size and reserved fields.
_JOB_STATS = ("daemon_updates", "step", "steps", "promoted_bytes",
              "demoted_bytes", "late", "late_bytes", "budget",
              "touched_bytes", "fast_bytes", "waits", "wait_ns",
              "wait_timeouts")


class _JobStats(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("reserved", ctypes.c_uint32)] + \
        [(n, ctypes.c_uint64) for n in _JOB_STATS]


class _AllocInfo(ctypes.Structure):
    _fields_ = [("logical_id", ctypes.c_uint64), ("object_id", ctypes.c_uint64),
                ("size", ctypes.c_size_t), ("mapped", ctypes.c_size_t),
                ("kind", ctypes.c_uint16), ("life", ctypes.c_uint8),
                ("registered", ctypes.c_uint8), ("layer", ctypes.c_uint32),
                ("node", ctypes.c_int32)]


_ALLOC_STATS = (
    "allocs", "frees", "live_objects", "requested_bytes", "mapped_bytes",
    "peak_requested_bytes", "peak_mapped_bytes", "long_objects",
    "long_mapped_bytes", "short_objects", "short_requested_bytes",
    "short_reserved_bytes", "short_chunks_used", "short_chunks_cached",
    "short_chunks_released", "short_spills", "pending_register",
    "pending_unregister", "registered", "unregistered", "register_failures",
    "flushes", "placed", "placement_failures")


class _AllocStats(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in _ALLOC_STATS] + [
        ("last_register_error", ctypes.c_int32), ("reserved", ctypes.c_uint32)]


class ObjectInfo:
    """An object as the module describes it (sentinel_obj_info)."""

    __slots__ = ("addr", "len", "id", "kind", "flags", "layer", "state",
                 "pages", "present_pages", "thp_pages", "unmapped_pages",
                 "node_pages", "steady_scans", "steady_touched")

    def __init__(self, raw):
        for name in self.__slots__:
            value = getattr(raw, name)
            if name == "node_pages":
                value = tuple(value)
            setattr(self, name, value)

    @property
    def kind_name(self):
        return KIND_NAMES[self.kind] if self.kind < len(KIND_NAMES) else str(self.kind)

    @property
    def end(self):
        return self.addr + self.len

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self):
        return ("ObjectInfo(id=%#x, addr=%#x, len=%d, kind=%s, layer=%s, "
                "present_pages=%d)" % (self.id, self.addr, self.len,
                                       self.kind_name,
                                       "none" if self.layer == LAYER_NONE
                                       else self.layer, self.present_pages))


# ---- loading the library ----

_lib = None
_lib_error = None
_lib_lock = threading.Lock()
_warned = set()


def _candidates():
    yield "libsentinel.so.0", True          # already loaded (the interposer)
    env = os.environ.get("SENTINEL_LIBRARY")
    if env:
        yield env, False
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(os.path.dirname(os.path.dirname(here)), "build", "lib",
                       "libsentinel.so.0"), False
    yield "libsentinel.so.0", False


def _declare(lib):
    c = ctypes
    u32, u64, i32, sz = c.c_uint32, c.c_uint64, c.c_int, c.c_size_t
    protos = {
        "sntl_strerror": (c.c_char_p, [i32]),
        "sntl_open": (i32, [c.POINTER(_OpenOpts)]),
        "sntl_close": (i32, []),
        "sntl_available": (i32, []),
        "sntl_state": (i32, []),
        "sntl_module_info": (i32, [c.POINTER(_ModuleInfo)]),
        "sntl_register": (i32, [c.POINTER(_Object), sz, c.POINTER(sz)]),
        "sntl_unregister": (i32, [c.POINTER(u64), sz, c.POINTER(sz)]),
        "sntl_step_begin": (i32, [u64]),
        "sntl_step_end": (i32, [u64]),
        "sntl_layer_begin": (i32, [u32, i32]),
        "sntl_layer_end": (i32, [u32, i32]),
        "sntl_query": (i32, [c.POINTER(u64), sz, c.POINTER(_ObjInfo),
                             c.c_uint, c.POINTER(sz)]),
        "sntl_query_next": (i32, [c.POINTER(_Cursor), c.POINTER(_ObjInfo), sz,
                                  c.c_uint]),
        "sntl_session_stats": (i32, [c.POINTER(_SessionStats)]),
        "sntl_flush": (i32, []),
        "sntl_alloc_info": (i32, [c.c_void_p, c.POINTER(_AllocInfo)]),
        "sntl_owns": (i32, [c.c_void_p]),
        "sntl_alloc_stats": (i32, [c.POINTER(_AllocStats)]),
        "sntl_hint": (i32, [c.c_void_p, c.c_uint]),
        "sntl_job_stats": (i32, [c.POINTER(_JobStats)]),
    }
    for name, (res, args) in protos.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args


def library():
    """The loaded libsentinel (a ctypes.CDLL), or None when not found."""
    global _lib, _lib_error
    if _lib is not None or _lib_error is not None:
        return _lib
    with _lib_lock:
        if _lib is not None or _lib_error is not None:
            return _lib
        errors = []
        for name, noload in _candidates():
            if not noload and os.sep in name and not os.path.exists(name):
                continue
            try:
                mode = os.RTLD_NOLOAD if noload else ctypes.DEFAULT_MODE
                lib = ctypes.CDLL(name, mode=mode)
                _declare(lib)
            except (OSError, AttributeError) as e:
                if not noload:
                    errors.append("%s: %s" % (name, e))
                continue
            _lib = lib
            return _lib
        _lib_error = "; ".join(errors) or "libsentinel.so.0 not found"
        return None


def _warn_once(key, message):
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(message, SentinelWarning, stacklevel=3)


def strerror(code):
    """The library's description of an SNTL_E* code."""
    lib = library()
    if lib is None:
        return "error %d (libsentinel not loaded)" % code
    return lib.sntl_strerror(code).decode("utf-8", "replace")


def available():
    """True when this process has an open Sentinel session."""
    lib = library()
    return bool(lib and lib.sntl_available())


def state():
    """STATE_CLOSED, STATE_OPEN or STATE_FORKED (CLOSED without the library)."""
    lib = library()
    return lib.sntl_state() if lib else STATE_CLOSED


# ---- the allocator and the interposer ----

def alloc_info(ptr):
    """What the libsentinel allocator knows of ptr (a dict), or None."""
    lib = library()
    if lib is None or not ptr:
        return None
    info = _AllocInfo()
    if lib.sntl_alloc_info(ctypes.c_void_p(ptr), ctypes.byref(info)):
        return None
    return {name: getattr(info, name) for name, _ in _AllocInfo._fields_}


def hint_flag(hint):
    """The OBJ_* bit of a hint given by name ("pin_fast", "pin-fast", ...)
    or as a bit; ValueError for anything else."""
    if isinstance(hint, str):
        flag = HINTS.get(hint.strip().lower().replace("-", "_"))
        if flag is None:
            raise ValueError("unknown placement hint %r (known: %s)" %
                             (hint, ", ".join(sorted(HINTS))))
        return flag
    if isinstance(hint, int) and hint in HINTS.values():
        return hint
    raise ValueError("bad placement hint %r: one of OBJ_PIN_FAST, "
                     "OBJ_NEVER_PROMOTE, OBJ_PREFER_FAST, OBJ_PREFER_SLOW "
                     "or 0" % (hint,))


def set_alloc_hint(ptr, hint):
    """Give the libsentinel allocation at ptr a placement hint (a name or
    an OBJ_* bit; 0 or "none" clears it).  It is registered again with
    it, and the same tensor in later steps is born with it.  Raises
    SentinelError (EINVAL: not the start of an allocation with pages of
    its own; ENOTSUP: the module has no hints)."""
    flag = hint_flag(hint)
    lib = library()
    if lib is None:
        raise SentinelError(ENOTAVAIL, "hint (libsentinel not loaded)")
    ret = lib.sntl_hint(ctypes.c_void_p(ptr), flag)
    if ret:
        raise SentinelError(ret, "hint")


def owns(ptr):
    """True when ptr is a live allocation of the libsentinel allocator."""
    lib = library()
    return bool(lib and ptr and lib.sntl_owns(ctypes.c_void_p(ptr)))


def alloc_stats():
    """The allocator's counters (a dict), or None without the library."""
    lib = library()
    if lib is None:
        return None
    st = _AllocStats()
    lib.sntl_alloc_stats(ctypes.byref(st))
    return {name: getattr(st, name) for name, _ in _AllocStats._fields_
            if name != "reserved"}


_preload = None


def _preload_fns():
    global _preload
    if _preload is None:
        fns = {}
        try:
            glob = ctypes.CDLL(None)
            for name, res, args in (
                    ("sentinel_preload_active", ctypes.c_int, []),
                    ("sentinel_preload_threshold", ctypes.c_size_t, []),
                    ("sentinel_preload_route", ctypes.c_int, []),
                    ("sentinel_preload_set_route", ctypes.c_int,
                     [ctypes.c_int, ctypes.c_size_t]),
                    ("sentinel_preload_set_hint", ctypes.c_uint32, [ctypes.c_uint32]),
                    ("sentinel_preload_get_hint", ctypes.c_uint32, [])):
                fn = getattr(glob, name)
                fn.restype = res
                fn.argtypes = args
                fns[name] = fn
        except (OSError, AttributeError):
            fns = {}
        _preload = fns
    return _preload


def preload_active():
    """True when libsentinel-preload.so routes large allocations."""
    fns = _preload_fns()
    return bool(fns and fns["sentinel_preload_active"]())


def preload_threshold():
    """The interposer's threshold in bytes, or None when it is not loaded."""
    fns = _preload_fns()
    return fns["sentinel_preload_threshold"]() if fns else None


def preload_route():
    """PRELOAD_ROUTE_ALL or PRELOAD_ROUTE_ALIGNED, or None when the
    interposer is not loaded."""
    fns = _preload_fns()
    return fns["sentinel_preload_route"]() if fns else None


def set_preload_route(route, min_size):
    """Route from now on the requests of @route (PRELOAD_ROUTE_*) of at
    least @min_size bytes (>= 1) to libsentinel.  Blocks routed before
    stay with it until freed.  False when the interposer is not active;
    ValueError for a bad route or size."""
    if route not in (PRELOAD_ROUTE_ALL, PRELOAD_ROUTE_ALIGNED) or \
            not isinstance(min_size, int) or min_size < 1:
        raise ValueError("bad route %r or size %r" % (route, min_size))
    fns = _preload_fns()
    if not fns or not fns["sentinel_preload_active"]():
        return False
    return fns["sentinel_preload_set_route"](route, min_size) == 0


def _hint_value(kind, life):
    return (kind & 0xFF) | ((life & 0xFF) << 8)


def set_allocation_hint(kind, life=LIFE_AUTO):
    """Set the interposer's kind and lifetime for large allocations.

    Returns the previous hint (an opaque int for restore_allocation_hint),
    or None when the interposer is not active.
    """
    fns = _preload_fns()
    if not fns or not fns["sentinel_preload_active"]():
        return None
    prev = fns["sentinel_preload_set_hint"](_hint_value(kind, life))
    if prev == 0xFFFFFFFF:
        raise ValueError("bad kind %r or lifetime %r" % (kind, life))
    return prev


def restore_allocation_hint(prev):
    """Restore a hint returned by set_allocation_hint (None is ignored)."""
    if prev is not None:
        fns = _preload_fns()
        if fns:
            fns["sentinel_preload_set_hint"](prev)


@contextlib.contextmanager
def allocation_hint(kind, life=LIFE_AUTO):
    """Large allocations made inside the block get this kind and lifetime.

    Only with the interposer (LD_PRELOAD=libsentinel-preload.so); the hint
    is process-wide, so allocations of other threads get it too.
    """
    prev = set_allocation_hint(kind, life)
    try:
        yield
    finally:
        restore_allocation_hint(prev)


# ---- sessions ----

_next_id = [1]
_id_lock = threading.Lock()


_last_step = [0]


def next_step_number():
    """The next step number of the process (strictly increasing, as the
    module requires, across every model attached in the process)."""
    with _id_lock:
        _last_step[0] += 1
        return _last_step[0]


def new_object_id():
    """A process-unique object id for register() (bit 63 clear)."""
    with _id_lock:
        oid = _next_id[0]
        _next_id[0] += 1
    return oid


class Session:
    """The process's Sentinel session.

    libsentinel has one session per process.  A Session opens it, or
    shares it when it is already open (for instance by the interposer), in
    which case close() leaves it open.  Without the module (or without
    the library) the Session is unavailable: a SentinelWarning is issued
    once, marks and registrations do nothing and return None, queries
    return empty results.
    """

    def __init__(self, device=None, follow_fork=False, sync=False, open=True,
                 warn=True):
        self.device = device
        self.flags = (OPEN_FOLLOW_FORK if follow_fork else 0) | \
                     (OPEN_SYNC if sync else 0)
        self.warn = warn
        self.owner = False
        self.error = None          # SNTL_E* code of a failed open
        self._pid = None
        if open:
            self.open()

    # -- lifetime --

    def open(self):
        """Open (or share) the session; True when it is available."""
        lib = library()
        if lib is None:
            self.error = ENOTAVAIL
            if self.warn:
                _warn_once("nolib", "Sentinel: libsentinel not found (%s); "
                           "running without Sentinel" % _lib_error)
            return False
        if lib.sntl_available():
            self.owner = False
            self._pid = os.getpid()
            return True
        opts = _OpenOpts(ctypes.sizeof(_OpenOpts), self.flags,
                         self.device.encode() if self.device else None)
        ret = lib.sntl_open(ctypes.byref(opts))
        if ret == 0:
            self.owner = True
        elif ret == EBUSY:
            self.owner = False
        else:
            self.error = ret
            if self.warn:
                _warn_once(("open", ret),
                           "Sentinel: no session (%s); running without "
                           "Sentinel" % strerror(ret))
            return False
        self._pid = os.getpid()
        self.error = None
        return True

    def close(self):
        """Close the session when this Session opened it."""
        lib = library()
        if lib is not None and self.owner and self._pid == os.getpid():
            lib.sntl_close()
        self.owner = False
        self._pid = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def available(self):
        """True while the process's session is open."""
        return available()

    @property
    def state(self):
        return state()

    def _lib(self):
        lib = library()
        return lib if lib is not None and lib.sntl_available() else None

    def _check(self, ret, what):
        if ret < 0 and ret != ENOTAVAIL:
            raise SentinelError(ret, what)
        return ret

    def module_info(self):
        """major, minor, max_batch, max_nodes, features (a dict) or None."""
        lib = self._lib()
        if lib is None:
            return None
        info = _ModuleInfo()
        if self._check(lib.sntl_module_info(ctypes.byref(info)), "module_info"):
            return None
        return {name: getattr(info, name) for name, _ in _ModuleInfo._fields_}

    # -- objects --

    def register(self, addr, length, kind=KIND_OTHER, flags=0, layer=LAYER_NONE,
                 id=None):
        """Register one object; returns its id, or None without a session.

        flags: OBJ_PARTIAL is added when addr or length is not page-aligned.
        Raises SentinelError when the module refuses it (EOVERLAP, ...).
        """
        ids = self.register_many([(addr, length, kind, flags, layer, id)])
        return ids[0] if ids else None

    def register_many(self, objects):
        """Register (addr, length, kind[, flags[, layer[, id]]]) tuples, all
        or nothing; returns their ids (None without a session)."""
        lib = self._lib()
        if lib is None:
            return None
        objs = list(objects)
        arr = (_Object * len(objs))()
        ids = []
        page = os.sysconf("SC_PAGESIZE")
        for i, o in enumerate(objs):
            addr, length, kind = o[0], o[1], o[2]
            flags = o[3] if len(o) > 3 else 0
            layer = o[4] if len(o) > 4 and o[4] is not None else LAYER_NONE
            oid = o[5] if len(o) > 5 and o[5] is not None else new_object_id()
            if addr % page or length % page:
                flags |= OBJ_PARTIAL
            arr[i] = _Object(addr, length, oid, kind, flags, layer)
            ids.append(oid)
        err = ctypes.c_size_t(len(objs))
        ret = lib.sntl_register(arr, len(objs), ctypes.byref(err))
        if ret == ENOTAVAIL:
            return None
        if ret:
            e = SentinelError(ret, "register (object %d)" % err.value)
            e.index = err.value
            raise e
        return ids

    def unregister(self, ids):
        """Unregister ids (an int or a list); raises SentinelError (ENOENT)."""
        lib = self._lib()
        if lib is None:
            return None
        if isinstance(ids, int):
            ids = [ids]
        ids = list(ids)
        if not ids:
            return 0
        arr = (ctypes.c_uint64 * len(ids))(*ids)
        err = ctypes.c_size_t(len(ids))
        ret = lib.sntl_unregister(arr, len(ids), ctypes.byref(err))
        if ret and ret != ENOTAVAIL:
            e = SentinelError(ret, "unregister (id %d)" % err.value)
            e.index = err.value
            raise e
        return 0 if not ret else None

    # -- marks (True when the module accepted them) --

    def _mark(self, ret, what):
        if ret == ENOTAVAIL:
            return False
        self._check(ret, what)
        return True

    def step_begin(self, step):
        lib = library()
        return bool(lib) and self._mark(lib.sntl_step_begin(step), "step_begin")

    def step_end(self, step):
        lib = library()
        return bool(lib) and self._mark(lib.sntl_step_end(step), "step_end")

    def layer_begin(self, layer, direction=DIR_FORWARD):
        lib = library()
        return bool(lib) and self._mark(lib.sntl_layer_begin(layer, direction),
                                        "layer_begin")

    def layer_end(self, layer, direction=DIR_FORWARD):
        lib = library()
        return bool(lib) and self._mark(lib.sntl_layer_end(layer, direction),
                                        "layer_end")

    # -- queries --

    def query(self, ids, residency=False):
        """ObjectInfo for each id (a list); SentinelError ENOENT for a
        dead id; [] without a session."""
        lib = self._lib()
        if lib is None:
            return []
        if isinstance(ids, int):
            ids = [ids]
        ids = list(ids)
        if not ids:
            return []
        arr = (ctypes.c_uint64 * len(ids))(*ids)
        out = (_ObjInfo * len(ids))()
        err = ctypes.c_size_t(len(ids))
        ret = lib.sntl_query(arr, len(ids), out,
                             _QUERY_RESIDENCY if residency else 0,
                             ctypes.byref(err))
        if ret == ENOTAVAIL:
            return []
        self._check(ret, "query (id %d)" % err.value)
        return [ObjectInfo(o) for o in out]

    def objects(self, residency=False, batch=1024):
        """Every object of the session, in id order (a list)."""
        lib = self._lib()
        if lib is None:
            return []
        cur = _Cursor()
        out = (_ObjInfo * batch)()
        result = []
        while True:
            n = lib.sntl_query_next(ctypes.byref(cur), out, batch,
                                    _QUERY_RESIDENCY if residency else 0)
            if n == ENOTAVAIL:
                break
            self._check(n, "query_next")
            if n <= 0:
                break
            result.extend(ObjectInfo(out[i]) for i in range(n))
        return result

    def stats(self):
        """The module's counters of this session (a dict), or None."""
        lib = self._lib()
        if lib is None:
            return None
        st = _SessionStats()
        ret = lib.sntl_session_stats(ctypes.byref(st))
        if ret == ENOTAVAIL:
            return None
        self._check(ret, "session_stats")
        return {name: getattr(st, name) for name in _SESSION_STATS}

    def job_stats(self):
        """The job's own migrations, as the policy daemon accounted them,
        and this process's waits for its moves (a dict: daemon_updates,
        step, steps, promoted_bytes, demoted_bytes, late, late_bytes,
        budget, touched_bytes, fast_bytes, waits, wait_ns, wait_timeouts;
        see sntl_job_stats()), or None without a session.  No privilege
        needed.  SentinelError (ENOTSUP) from a module that keeps none."""
        lib = self._lib()
        if lib is None:
            return None
        st = _JobStats(size=ctypes.sizeof(_JobStats))
        ret = lib.sntl_job_stats(ctypes.byref(st))
        if ret == ENOTAVAIL:
            return None
        self._check(ret, "job_stats")
        return {name: getattr(st, name) for name in _JOB_STATS}

    def flush(self):
        """Send the allocator's pending registrations now."""
        lib = self._lib()
        if lib is None:
            return None
        return self._check(lib.sntl_flush(), "flush")

    alloc_stats = staticmethod(alloc_stats)
    alloc_info = staticmethod(alloc_info)
    owns = staticmethod(owns)


# ---- profiling (SENTINEL_IOC_PROFILE_CTL on the session's descriptor) ----

_PROFILE_OP_START = 1
_IOC_PROFILE_CTL = (3 << 30) | (32 << 16) | (0xBE << 8) | 6
_SYSFS = "/sys/kernel/sentinel"


def _session_fd():
    """The descriptor of the process's open Sentinel device, or None."""
    device = os.path.realpath(os.environ.get("SENTINEL_DEVICE") or
                              "/dev/sentinel")
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.path.realpath("/proc/self/fd/" + fd) == device:
                return int(fd)
        except OSError:
            continue
    return None


def profile_start(warmup, steps=None):
    """Arm a profile of this process's session: skip warmup steps, then
    profile steps steps (default: the module's profile_steps knob).
    True when the module accepted it; False without a session or without
    the module's profiler."""
    import fcntl
    import struct
    if not available():
        return False
    if steps is None:
        try:
            with open(os.path.join(_SYSFS, "profile_steps")) as f:
                steps = int(f.read())
        except (OSError, ValueError):
            steps = 1
    fd = _session_fd()
    if fd is None:
        return False
    buf = bytearray(struct.pack("<IIIIIIQ", 32, 0, _PROFILE_OP_START,
                                int(warmup), max(1, int(steps)), 0, 0))
    try:
        fcntl.ioctl(fd, _IOC_PROFILE_CTL, buf)
    except OSError:
        return False
    return True
