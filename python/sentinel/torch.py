# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sentinel for PyTorch models: one call, no change to the training loop.

    import sentinel.torch
    tracker = sentinel.torch.attach(model, optimizer)
    for x, y in data:                       # unchanged
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    tracker.detach()                        # optional

attach() marks, through libsentinel:

* steps: a step begins at the first forward of the model with gradients
  enabled and ends after optimizer.step() (without an optimizer, at the
  next such forward or at detach());
* layers: every leaf module (a module without children) is a layer, whose
  id is its index among the leaf modules in model.modules() order; its
  forward is marked with forward pre-hooks and forward hooks; its
  backward with hooks on the autograd node that produced its output (a
  pre-hook when the gradient of the output arrives, a post-hook when the
  node has run), which works with in-place modules such as
  ReLU(inplace=True), unlike Module.register_full_backward_hook;
* the optimizer step, as layer len(leaves) in direction DIR_OPTIMIZER
  (optimizer.step is wrapped on the instance);
* the work between leaves, so that the layers of a step cover it whole:
  inside a step, the end of one layer is immediately followed by the
  begin of the next.  The step's head (the model's forward before its
  first leaf) and, in backward direction, what follows the backward pass
  until the optimizer step are layer len(leaves) + 1; the work after leaf
  i (the body of its parent after it: residual additions, functional
  operations, the loss after the last leaf; in backward, the gradients
  accumulated after its node) is layer len(leaves) + 2 + i, in the
  direction of the leaf's marks.  Between two leaves that follow each
  other in an nn.Sequential nothing runs, and the leaf's layer lasts
  until the next one begins.  The ids depend on the model only, so every
  step has the same layer sequence.

and registers the storages of parameters (KIND_WEIGHT), of their gradients
(KIND_GRADIENT, once they exist), of the optimizer's state (KIND_OPTIMIZER,
after the first step) and of the leaf modules' buffers (running statistics:
model state, KIND_WEIGHT), each storage once, with the owning layer as layer
hint.

Under the interposer (LD_PRELOAD=libsentinel-preload.so) large storages
come from the libsentinel allocator, which registers them itself; attach()
then sets the interposer's allocation hint per phase (activations in
forward, gradients in backward, optimizer state in the optimizer step) and
re-allocates large parameters once, inside their layer, so that they are
registered as weights of their layer.  Storages below the interposer's
threshold are registered by this module as above.

Placement hints: hint(target, "pin_fast") (or "never_promote",
"prefer_fast", "prefer_slow", "none") gives the storages of a tensor, of
a parameter, or of a module's parameters and buffers a hint that the
daemon's planner honours (sentinel(7), "Placement hints"); a storage
registered later (by attach(), or allocated again by libsentinel in
later steps) keeps it.

Without the module, or without libsentinel, attach() warns once
(SentinelWarning) and the model trains exactly as before.

sentinel-run (sentinel.run) does the same for an unmodified program:
AutoAttach, installed by its bootstrap when the program imports torch,
attaches every model and optimizer the program creates with attach()'s
Tracker.
"""

import functools
import sys
import weakref

import torch

import sentinel as _s

__all__ = ["attach", "Tracker", "leaf_modules", "tracker_of",
           "AutoAttach", "hint"]


def leaf_modules(model):
    """The leaf modules of model in model.modules() order (layer ids)."""
    return [m for m in model.modules() if next(m.children(), None) is None]


def _seamless_leaves(model, layer_of):
    """Layers of leaves after which nothing runs before the next leaf: a
    leaf followed by a leaf in an nn.Sequential whose forward is the
    container's own."""
    out = set()
    seq_forward = torch.nn.Sequential.forward
    for m in model.modules():
        if getattr(type(m), "forward", None) is not seq_forward:
            continue
        kids = list(m.children())
        for a, b in zip(kids, kids[1:]):
            if id(a) in layer_of and id(b) in layer_of:
                out.add(layer_of[id(a)])
    return out


_attached = weakref.WeakKeyDictionary()     # model -> Tracker


def tracker_of(module):
    """The Tracker attached to module or to a model containing it, or None."""
    t = _attached.get(module)
    if t is not None:
        return t
    for t in list(_attached.values()):
        if id(module) in t.module_ids:
            return t
    return None


def _storage(t):
    """(data_ptr, nbytes) of the storage of CPU tensor t, or None."""
    try:
        if t.device.type != "cpu" or t.is_sparse:
            return None
        try:
            st = t.untyped_storage()
        except AttributeError:
            st = t.storage()
        ptr, nbytes = st.data_ptr(), st.nbytes()
    except (RuntimeError, NotImplementedError, TypeError):
        return None
    return (ptr, nbytes) if ptr and nbytes else None


def _first_nodes(out, seen=None):
    """The distinct autograd nodes of the tensors in a module's output."""
    nodes = [] if seen is None else seen
    if isinstance(out, torch.Tensor):
        fn = out.grad_fn
        if fn is not None and all(fn is not n for n in nodes):
            nodes.append(fn)
    elif isinstance(out, (list, tuple)):
        for o in out:
            _first_nodes(o, nodes)
    elif isinstance(out, dict):
        for o in out.values():
            _first_nodes(o, nodes)
    return nodes


# Placement hints given by hint(): id(tensor) -> (weakref, OBJ_* flag).
# Keyed by id, not by tensor: a tensor's == is elementwise.
_hints = {}


def _hint_of(t):
    entry = _hints.get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else 0


def _set_hint_of(t, flag):
    key = id(t)
    if not flag:
        _hints.pop(key, None)
        return
    _hints[key] = (weakref.ref(t, lambda _r, k=key: _hints.pop(k, None)),
                   flag)


def _hint_targets(target):
    if isinstance(target, torch.Tensor):
        yield target
    elif isinstance(target, torch.nn.Module):
        yield from target.parameters()
        yield from target.buffers()
    elif isinstance(target, (list, tuple, set)):
        for x in target:
            yield from _hint_targets(x)
    else:
        raise TypeError("hint() takes a tensor, a parameter, a module or "
                        "a list of them, not %s" % type(target).__name__)


def hint(target, what):
    """Give a placement hint to the storages of target: a tensor, a
    parameter, a module (its parameters and buffers) or a list of them.
    what: "pin_fast", "never_promote", "prefer_fast", "prefer_slow" or
    "none" (or an OBJ_* bit).  The hint reaches the module now for the
    storages already registered (they are registered again with it) and
    at registration for the others; the daemon's next plan honours it.
    Returns the number of storages whose registration carries it now.
    ValueError for an unknown hint, TypeError for another target;
    SentinelError when the module refuses it (ENOTSUP: no hints)."""
    flag = _s.hint_flag(what)
    tensors = list(_hint_targets(target))
    done = 0
    for t in tensors:
        _set_hint_of(t, flag)
        st = _storage(t)
        if st is None:
            continue
        known = [tr for tr in list(_attached.values()) if st[0] in tr._objs]
        for tr in known:
            done += tr._rehint(st[0], flag)
        if not known and _s.owns(st[0]):
            _s.set_alloc_hint(st[0], flag)     # also for a later session
            done += int(_s.available())
    return done


FULL_SYNC_STEPS = 64


class _Obj:
    """A storage this module knows: registered by it, or the allocator's."""

    __slots__ = ("ptr", "nbytes", "kind", "layer", "id", "owner", "fin",
                 "flags")

    def __init__(self, ptr, nbytes, kind, layer, oid, owner):
        self.ptr, self.nbytes, self.kind, self.layer = ptr, nbytes, kind, layer
        self.id = oid              # None: the allocator registered it
        self.owner = owner         # weakref to a tensor using the storage
        self.fin = None
        self.flags = 0             # its placement hint (OBJ_*)


class Tracker:
    """What attach() returns: the hooks, the step counter and the objects."""

    def __init__(self, model, optimizer=None, session=None, *, rehome=True,
                 backward=True, register=True):
        self.model = model
        self.optimizer = optimizer
        self.session = session if session is not None else _s.Session()
        self.leaves = leaf_modules(model)
        self.layer_of = {id(m): i for i, m in enumerate(self.leaves)}
        self.optimizer_layer = len(self.leaves)
        self.step_layer = self.optimizer_layer + 1
        self.between_base = self.optimizer_layer + 2
        self.module_ids = {id(m) for m in model.modules()}
        self._seamless = _seamless_leaves(model, self.layer_of)
        self._open = None          # (layer, direction) open in the step
        self.step = 0              # number of the current or last step
        self.in_step = False
        self.enabled = True
        self.counters = {"marks": 0, "steps": 0, "registered": 0,
                         "unregistered": 0, "allocator_objects": 0,
                         "refused": 0, "rehomed": 0, "errors": 0,
                         "full_syncs": 0, "quick_syncs": 0}
        self.last_error = None
        self._backward = backward
        self._register = register
        self._objs = {}            # storage ptr -> _Obj
        # Tensors whose storage was looked at, by id (quick syncs).
        self._known = weakref.WeakValueDictionary()
        self._handles = []
        self._hint_prev = None
        self._bw_pending = False
        self._step_wrapped = None
        self._param_layer = {}
        for m in model.modules():
            layer = self.layer_of.get(id(m), _s.LAYER_NONE)
            for p in m.parameters(recurse=False):
                self._param_layer.setdefault(id(p), layer)
        self.preload = _s.preload_active()
        _attached[model] = self

        if _s.library() is None:
            self.enabled = False   # Session() has warned
            return
        if self.preload and rehome:
            self._rehome()
        self._install()
        if register:
            self._sync(params=True)

    # ---- marks ----

    def _mark(self, fn, *args):
        try:
            if fn(*args):
                self.counters["marks"] += 1
        except _s.SentinelError as e:
            self._fail(e)

    def _fail(self, e):
        self.counters["errors"] += 1
        self.last_error = e
        key = ("tracker", getattr(e, "code", type(e).__name__))
        _s._warn_once(key, "sentinel.torch: %s (counted in "
                      "Tracker.counters['errors'])" % e)

    def between_layer(self, layer):
        """The layer id of the work that follows leaf layer ``layer``."""
        return self.between_base + layer

    def _switch(self, layer, direction):
        """Inside a step: end the open layer and begin this one."""
        if self._open == (layer, direction):
            return
        self._close()
        self._open = (layer, direction)
        self._mark(self.session.layer_begin, layer, direction)

    def _close(self):
        if self._open is not None:
            layer, direction = self._open
            self._open = None
            self._mark(self.session.layer_end, layer, direction)

    def _begin(self, layer, direction):
        if self.in_step:
            self._switch(layer, direction)
        else:
            self._mark(self.session.layer_begin, layer, direction)

    def _end(self, layer, direction, after):
        """A leaf's (or the optimizer's) work ended: inside a step the
        layer ``after`` takes over (None: the layer stays open)."""
        if not self.in_step:
            self._mark(self.session.layer_end, layer, direction)
        elif after is not None:
            self._switch(after, direction)

    def _full_sync_due(self):
        """Every storage is looked at again in the first steps (parameters
        re-homed, optimizer state created) and then every FULL_SYNC_STEPS
        steps; between them only tensors not seen before are."""
        n = self.counters["steps"]
        return n < 3 or n % FULL_SYNC_STEPS == 0

    def begin_step(self):
        """Open the next step (done by the first forward of a step)."""
        if self.in_step:
            return
        # Between steps only parameters can change (a full sync's work);
        # gradients and optimizer state are looked at around the
        # optimizer's step, or here when there is no optimizer.
        if self._full_sync_due():
            self._sync()
        elif self.optimizer is None:
            self._sync(params=False, state=False, full=False)
        self.step = _s.next_step_number()
        self.in_step = True
        self.counters["steps"] += 1
        self._mark(self.session.step_begin, self.step)
        self._switch(self.step_layer, _s.DIR_FORWARD)

    def end_step(self):
        """Close the open step (done after optimizer.step())."""
        if not self.in_step:
            return
        self._close()
        self.in_step = False
        self._mark(self.session.step_end, self.step)

    # ---- hooks ----

    def _guard(self, fn):
        @functools.wraps(fn)
        def hook(*args):
            if not self.enabled:
                return None
            try:
                fn(*args)
            except Exception as e:          # never break training
                self._fail(e)
            return None
        return hook

    def _install(self):
        model = self.model
        self._handles.append(model.register_forward_pre_hook(
            self._guard(self._root_pre)))
        self._handles.append(model.register_forward_hook(
            self._guard(self._root_post)))
        for layer, m in enumerate(self.leaves):
            self._handles.append(m.register_forward_pre_hook(
                self._guard(functools.partial(self._leaf_pre, layer))))
            self._handles.append(m.register_forward_hook(
                self._guard(functools.partial(self._leaf_post, layer))))
        if self.optimizer is not None:
            self._wrap_optimizer()

    def _root_pre(self, module, inputs):
        if torch.is_grad_enabled() and module.training:
            if self.optimizer is None:
                self.end_step()
            self.begin_step()
        self._hint_prev = _s.set_allocation_hint(_s.KIND_ACTIVATION)

    def _root_post(self, module, inputs, output):
        _s.restore_allocation_hint(self._hint_prev)
        self._hint_prev = None

    def _leaf_pre(self, layer, module, inputs):
        self._begin(layer, _s.DIR_FORWARD)

    def _leaf_post(self, layer, module, inputs, output):
        self._end(layer, _s.DIR_FORWARD, None if layer in self._seamless
                  else self.between_layer(layer))
        if not self._backward or not torch.is_grad_enabled():
            return
        for node in _first_nodes(output):
            node.register_prehook(self._guard_bw(self._bw_begin, layer))
            node.register_hook(self._guard_bw(self._bw_end, layer))

    def _guard_bw(self, fn, layer):
        def hook(*args):
            if self.enabled:
                try:
                    fn(layer)
                except Exception as e:      # never break training
                    self._fail(e)
            return None
        return hook

    def _bw_begin(self, layer):
        if not self._bw_pending:
            # First module of this backward pass: gradients from now on,
            # until the engine finishes the pass.
            self._bw_pending = True
            prev = _s.set_allocation_hint(_s.KIND_GRADIENT)
            torch.autograd.Variable._execution_engine.queue_callback(
                functools.partial(self._bw_done, prev))
        self._begin(layer, _s.DIR_BACKWARD)

    def _bw_end(self, layer):
        self._end(layer, _s.DIR_BACKWARD, self.between_layer(layer))

    def _bw_done(self, prev):
        self._bw_pending = False
        _s.restore_allocation_hint(prev)
        if self.enabled and self.in_step and self._open is not None and \
           self._open[1] == _s.DIR_BACKWARD:
            try:
                self._switch(self.step_layer, _s.DIR_BACKWARD)
            except Exception as e:          # never break training
                self._fail(e)

    # ---- the optimizer ----

    def set_optimizer(self, optimizer):
        """Give an optimizer to a Tracker attached without one."""
        if self.optimizer is not None or optimizer is None:
            return
        if self.in_step:
            self.end_step()
        self.optimizer = optimizer
        if self.enabled:
            self._wrap_optimizer()

    def _wrap_optimizer(self):
        opt = self.optimizer
        orig = opt.step
        had_attr = "step" in vars(opt)
        tracker = self

        @functools.wraps(orig)
        def step(*args, **kwargs):
            tracker._opt_begin()
            try:
                return orig(*args, **kwargs)
            finally:
                tracker._opt_end()

        opt.step = step
        self._step_wrapped = (step, orig, had_attr)

    def _opt_begin(self):
        if not self.enabled:
            return
        try:
            full = self._full_sync_due()
            self._sync(params=False, state=full, full=full)
            self._begin(self.optimizer_layer, _s.DIR_OPTIMIZER)
            self._opt_hint = _s.set_allocation_hint(_s.KIND_OPTIMIZER)
        except Exception as e:
            self._fail(e)

    def _opt_end(self):
        if not self.enabled:
            return
        try:
            _s.restore_allocation_hint(getattr(self, "_opt_hint", None))
            self._opt_hint = None
            self._end(self.optimizer_layer, _s.DIR_OPTIMIZER, None)
            full = self._full_sync_due()
            self._sync(params=False, grads=full, full=full)
            self.end_step()
        except Exception as e:
            self._fail(e)

    # ---- re-homing under the interposer ----

    def _rehome(self):
        """Re-allocate large parameters, the leaves' buffers and the
        optimizer state with the interposer's hint set, so the allocator
        registers them with their kind and layer.  Values are copied bit
        for bit."""
        threshold = _s.preload_threshold() or 0
        prev = _s.set_allocation_hint(_s.KIND_WEIGHT, _s.LIFE_PERSISTENT)
        try:
            with torch.no_grad():
                for m in self.model.modules():
                    layer = self.layer_of.get(id(m))
                    params = [p for p in m.parameters(recurse=False)
                              if self._param_layer.get(id(p)) == layer
                              and self._wants_rehome(p, threshold,
                                                     _s.KIND_WEIGHT)]
                    if layer is not None:
                        params += [t for t in m.buffers(recurse=False)
                                   if self._wants_rehome(t, threshold,
                                                         _s.KIND_WEIGHT)]
                    if not params:
                        continue
                    # Inside the layer: the allocator records it as hint.
                    if layer is not None:
                        self._mark(self.session.layer_begin, layer,
                                   _s.DIR_FORWARD)
                    for p in params:
                        p.data = p.data.clone()
                        self.counters["rehomed"] += 1
                    if layer is not None:
                        self._mark(self.session.layer_end, layer,
                                   _s.DIR_FORWARD)
                if self.optimizer is not None:
                    _s.set_allocation_hint(_s.KIND_OPTIMIZER, _s.LIFE_PERSISTENT)
                    for state in self.optimizer.state.values():
                        for k, v in list(state.items()):
                            if isinstance(v, torch.Tensor) and \
                               self._wants_rehome(v, threshold, _s.KIND_OPTIMIZER):
                                state[k] = v.clone()
                                self.counters["rehomed"] += 1
        finally:
            _s.restore_allocation_hint(prev)

    @staticmethod
    def _wants_rehome(t, threshold, kind):
        st = _storage(t)
        if st is None or st[1] < threshold:
            return False
        # Only tensors that are their storage's sole, whole view.
        if t.storage_offset() != 0 or \
           t.numel() * t.element_size() != st[1] or not t.is_contiguous():
            return False
        info = _s.alloc_info(st[0])
        return info is None or info["kind"] != kind

    # ---- registration ----

    def _candidates(self, params, grads, state):
        model = self.model
        if params:
            for m in model.modules():
                layer = self.layer_of.get(id(m), _s.LAYER_NONE)
                for p in m.parameters(recurse=False):
                    yield p, _s.KIND_WEIGHT, self._param_layer.get(id(p), layer)
                if layer != _s.LAYER_NONE:
                    for b in m.buffers(recurse=False):
                        yield b, _s.KIND_WEIGHT, layer
        if grads:
            for p in model.parameters():
                if p.grad is not None:
                    yield p.grad, _s.KIND_GRADIENT, \
                        self._param_layer.get(id(p), _s.LAYER_NONE)
        if state and self.optimizer is not None:
            for p, st in self.optimizer.state.items():
                layer = self._param_layer.get(id(p), _s.LAYER_NONE)
                for v in st.values():
                    if isinstance(v, torch.Tensor):
                        yield v, _s.KIND_OPTIMIZER, layer

    def _sync(self, params=True, grads=True, state=True, full=True):
        """Register the storages of new tensors.  A full sync also forgets
        storages that went away and looks at every tensor again (a tensor
        whose storage was swapped); a quick one skips the tensors it saw
        before, whose storages die with them (weakref finalizers)."""
        if not self._register:
            return
        self.counters["full_syncs" if full else "quick_syncs"] += 1
        if full:
            for ptr, o in list(self._objs.items()):
                t = o.owner()
                cur = _storage(t) if t is not None else None
                if cur is None or cur[0] != ptr:
                    self._forget(o)
        known = self._known
        for t, kind, layer in self._candidates(params, grads, state):
            if not full and known.get(id(t)) is t:
                continue
            st = _storage(t)
            known[id(t)] = t
            if st is None or st[0] in self._objs:
                continue
            self._add(t, st[0], st[1], kind, layer)

    def _add(self, t, ptr, nbytes, kind, layer):
        o = _Obj(ptr, nbytes, kind, layer, None, weakref.ref(t))
        flag = _hint_of(t)
        if _s.owns(ptr):
            # The allocator registered it (and unregisters it when freed).
            self.counters["allocator_objects"] += 1
            self._objs[ptr] = o
            if flag:
                self._rehint(ptr, flag)
            return
        if not self.session.available:
            return
        if not self._register_obj(o, flag):
            return
        self._objs[ptr] = o

    def _register_obj(self, o, flag):
        """Register o's storage with hint flag (again under its id, when it
        has one, so that a plan keeps knowing it); False when refused."""
        t = o.owner()
        try:
            oid = self.session.register(o.ptr, o.nbytes, o.kind, flag,
                                        o.layer, id=o.id)
        except _s.SentinelError as e:
            self.counters["refused"] += 1
            self.last_error = e
            return False
        if oid is None or t is None:
            return False
        o.id, o.flags = oid, flag
        self.counters["registered"] += 1
        o.fin = weakref.finalize(t, self._dead, o.ptr, o.id)
        o.fin.atexit = False
        return True

    def _rehint(self, ptr, flag):
        """Give the known storage at ptr hint flag; 1 when its
        registration carries it now, else 0."""
        o = self._objs.get(ptr)
        if o is None or o.flags == flag:
            return int(o is not None)
        if o.id is None:            # the allocator's object
            try:
                _s.set_alloc_hint(ptr, flag)
            except _s.SentinelError as e:
                self.counters["refused"] += 1
                self.last_error = e
                return 0
            o.flags = flag
            return 1
        self._forget(o)
        if self._register_obj(o, flag):
            self._objs[ptr] = o
            return 1
        return 0

    def _dead(self, ptr, oid):
        o = self._objs.get(ptr)
        if o is not None and o.id == oid:
            self._forget(o)

    def _forget(self, o):
        self._objs.pop(o.ptr, None)
        if o.fin is not None:
            o.fin.detach()
        if o.id is not None:
            try:
                self.session.unregister(o.id)
                self.counters["unregistered"] += 1
            except _s.SentinelError:
                pass

    # ---- inspection ----

    def objects(self):
        """The storages known: (ptr, nbytes, kind, layer, id or None)."""
        return [(o.ptr, o.nbytes, o.kind, o.layer, o.id)
                for o in self._objs.values()]

    def detach(self):
        """Remove the hooks, close an open step, unregister the storages
        this module registered, restore optimizer.step."""
        if _attached.get(self.model) is self:
            del _attached[self.model]
        if not self.enabled and not self._handles:
            return
        self.end_step()
        for h in self._handles:
            h.remove()
        self._handles = []
        if self._step_wrapped is not None:
            step, orig, had_attr = self._step_wrapped
            if vars(self.optimizer).get("step") is step:
                if had_attr:
                    self.optimizer.step = orig
                else:
                    del self.optimizer.step
            self._step_wrapped = None
        for o in list(self._objs.values()):
            self._forget(o)
        self.enabled = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()
        return False


def attach(model, optimizer=None, session=None, **options):
    """Attach Sentinel to model (and optimizer); returns a Tracker.

    options: rehome (default True: re-allocate large parameters under the
    interposer), backward (default True: mark backward layers), register
    (default True: register parameter, gradient, optimizer-state and
    buffer storages).
    """
    return Tracker(model, optimizer, session, **options)


class AutoAttach:
    """Attach to every model and optimizer of the process (sentinel-run).

    Process-wide hooks of torch.nn.Module find the models: a module with
    trainable parameters called while no other module's forward runs, and
    not part of a model already attached (by attach() or by this class),
    is attached at that first call.  Each optimizer created is remembered
    (torch.optim.Optimizer.__init__ is wrapped: torch 1.13 has no global
    optimizer hooks) and given to the model whose parameters it updates,
    when the model is attached or, for an optimizer created later, then.
    Layers, steps and objects are attach()'s.
    """

    def __init__(self, warmup=None, verbose=False, log=None, hints=(),
                 **options):
        self.warmup = warmup
        self.verbose = verbose
        self.hints = list(hints)   # [(pattern, hint name)], last wins
        self.options = options
        self.trackers = []
        self._optimizers = weakref.WeakSet()
        self._depth = 0
        self._session = None
        self._armed = False
        self._handles = []
        self._orig_init = None
        self._log = log or (lambda msg: print("sentinel-run: " + msg,
                                              file=sys.stderr, flush=True))

    def install(self):
        from torch.nn.modules import module as tmod
        self._handles = [tmod.register_module_forward_pre_hook(self._pre),
                         tmod.register_module_forward_hook(self._post)]
        opt_cls = torch.optim.Optimizer
        orig = opt_cls.__init__
        auto = self

        @functools.wraps(orig)
        def __init__(opt, *args, **kwargs):
            orig(opt, *args, **kwargs)
            try:
                auto._new_optimizer(opt)
            except Exception as e:          # never break training
                auto._log("optimizer not tracked: %s" % e)

        opt_cls.__init__ = __init__
        self._orig_init = orig
        return self

    def uninstall(self):
        for h in self._handles:
            h.remove()
        self._handles = []
        if self._orig_init is not None:
            torch.optim.Optimizer.__init__ = self._orig_init
            self._orig_init = None

    # ---- optimizers ----

    @staticmethod
    def _params(opt):
        return {id(p) for g in opt.param_groups for p in g["params"]}

    def _new_optimizer(self, opt):
        self._optimizers.add(opt)
        mine = self._params(opt)
        for t in self.trackers:
            if t.optimizer is None and \
               any(id(p) in mine for p in t.model.parameters()):
                t.set_optimizer(opt)
                self._say("optimizer %s given to %s" %
                          (type(opt).__name__, type(t.model).__name__))
                return

    def _optimizer_for(self, model):
        ids = {id(p) for p in model.parameters()}
        taken = {id(t.optimizer) for t in _attached.values()
                 if t.optimizer is not None}
        for opt in list(self._optimizers):
            if id(opt) not in taken and self._params(opt) & ids:
                return opt
        return None

    # ---- models ----

    def _pre(self, module, inputs):
        root = self._depth == 0 or module in _attached
        self._depth = 1 if root else self._depth + 1
        if not root or module in _attached:
            return None
        try:
            self._maybe_attach(module, inputs)
        except Exception as e:              # never break training
            self._log("%s not attached: %s" % (type(module).__name__, e))
        return None

    def _post(self, module, inputs, output):
        self._depth = max(0, self._depth - 1)
        return None

    def _maybe_attach(self, module, inputs):
        if not any(p.requires_grad for p in module.parameters()):
            return
        if tracker_of(module) is not None:
            return
        mine = {id(m) for m in module.modules()}
        if any(id(t.model) in mine for t in list(_attached.values())):
            return                          # contains an attached model
        opt = self._optimizer_for(module)
        if self._session is None:
            self._session = _s.Session()
        t = Tracker(module, opt, self._session, **self.options)
        self.trackers.append(t)
        self._say("attached to %s (%d layers) with %s" %
                  (type(module).__name__, len(t.leaves),
                   type(opt).__name__ if opt is not None else "no optimizer"))
        if self.warmup is not None and not self._armed:
            self._armed = True
            ok = _s.profile_start(self.warmup)
            self._say("profile after %d warm-up steps: %s" %
                      (self.warmup, "armed" if ok else "not armed (no "
                       "session or no profiler)"))
        if self.hints:
            self._apply_hints(module)
        # This call's hooks were taken before the model's were added.
        t._guard(t._root_pre)(module, inputs)

    def _apply_hints(self, model):
        """The launcher's --hint patterns on the model's parameters and
        buffers (by qualified name; the last matching pattern wins)."""
        import fnmatch
        named = list(model.named_parameters()) + list(model.named_buffers())
        matched = set()
        for name, t in named:
            want = None
            for i, (pattern, what) in enumerate(self.hints):
                if fnmatch.fnmatchcase(name, pattern):
                    want = what
                    matched.add(i)
            if want is None:
                continue
            try:
                hint(t, want)
            except (_s.SentinelError, ValueError) as e:
                self._log("hint %s for %s not given: %s" % (want, name, e))
                return
            self._say("%s: %s" % (name, want))
        for i, (pattern, what) in enumerate(self.hints):
            if i not in matched:
                self._log("--hint %s=%s matches no parameter or buffer of "
                          "%s" % (pattern, what, type(model).__name__))

    def _say(self, msg):
        if self.verbose:
            self._log(msg)

    # ---- the end ----

    def summary(self):
        """One line: what was attached and what the module counted."""
        steps = sum(t.counters["steps"] for t in self.trackers)
        marks = sum(t.counters["marks"] for t in self.trackers)
        errors = sum(t.counters["errors"] for t in self.trackers)
        line = "%d model(s), %d steps, %d marks sent, %d errors" % (
            len(self.trackers), steps, marks, errors)
        session = self._session
        if session is None and _s.library() is not None:
            session = _s.Session(warn=False)    # the interposer's, if open
        st = session.stats() if session is not None else None
        if st:
            line += ("; module session %d: %d steps, %d marks, %d errors, "
                     "%d unterminated steps" % (
                         st["session_id"], st["steps"], st["marks"],
                         st["errors"], st["unterminated_steps"]))
        else:
            line += "; no module session"
        return line

    def finish(self):
        """Close the open steps (at exit); print the summary if verbose."""
        for t in self.trackers:
            if t.enabled:
                try:
                    t.end_step()
                except Exception:       # never break the exit
                    pass
        self._say(self.summary())
