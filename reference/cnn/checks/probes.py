"""Probes of the cnn assignment: trusted functions run inside the sandbox on the student's code.

Each takes ``api`` (``api.train_epoch`` is the submission's function) and plain
data, and returns plain data. The training loop is observed from outside with
instrumented stand-ins (a model, a loss, an optimizer, a loader, batch tensors)
that record what the student's code did to them: which mode the model was in,
whether gradients were fresh when the optimizer stepped, whether batches were
moved to the device, whether a loss graph outlived its batch. The stand-ins
give the student's process no copy of the reference.

Everything here that is not a probe starts with an underscore.
"""
import inspect
import math
import os
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# The device the probes hand to the student's functions: the CPU, named with an index so that a
# tensor moved with the `device` argument ("cpu:0") can be told from one moved elsewhere ("cpu").
_DEVICE = "cpu:0"


def _describe_error(exc):
    """An exception of trusted code (torch reading a checkpoint back), as one line; the student's own go through
    ``api.describe_error``, which names their frame."""
    return f"{type(exc).__name__}: {exc}"[:500]


def _fill_by_shape(model):
    """Give every parameter fixed values that depend on its shape only, whatever the layer's name or order."""
    with torch.no_grad():
        for parameter in model.parameters():
            shape = tuple(parameter.shape)
            rng = np.random.default_rng([len(shape), *shape])
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
            values = rng.normal(scale=1.0 / math.sqrt(max(fan_in, 1)), size=shape)
            parameter.copy_(torch.as_tensor(values, dtype=parameter.dtype))


def _as_plain(value):
    """A student's return value as plain data: floats, arrays, or a description of what it is."""
    if isinstance(value, torch.Tensor):
        return {"kind": "tensor", "requires_grad": bool(value.requires_grad),
                "value": value.detach().cpu().as_subclass(torch.Tensor).numpy()}
    if type(value) in (int, float) or isinstance(value, (np.floating, np.integer)):
        return {"kind": "number", "value": float(value)}
    return {"kind": type(value).__name__}


# ---------------------------------------------------------------------------
# conv_output_size
# ---------------------------------------------------------------------------

def conv_sizes(api, cases):
    """conv_output_size on each case ``[size, kernel, stride, padding, dilation]``."""
    answers = []
    for size, kernel, stride, padding, dilation in cases:
        try:
            value = api.conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
        except Exception as exc:  # one bad case must not hide the others
            answers.append({"error": api.describe_error(exc)})
            continue
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            answers.append({"value": float(value), "integer": True})
        elif isinstance(value, (float, np.floating)):
            answers.append({"value": float(value), "integer": False})
        else:
            answers.append({"error": f"returned {type(value).__name__}, not a number"})
    return answers


# ---------------------------------------------------------------------------
# CNN
# ---------------------------------------------------------------------------

#: Every argument of CNN: a check's config overrides some; all are given, so no default is graded.
CNN_ARGUMENTS = dict(in_channels=1, image_size=28, n_classes=10, conv_channels=(16, 32), kernel_size=3,
                     hidden_units=64, dropout=0.25)


def _build_cnn(api, config):
    kwargs = {**CNN_ARGUMENTS, **config}
    kwargs["conv_channels"] = tuple(kwargs["conv_channels"])
    return api.CNN(**kwargs)


def cnn_structure(api, configs, batch):
    """For each config: flat_features, the parameter count and shapes, and the output shape of a batch."""
    torch.manual_seed(0)
    answers = []
    for config in configs:
        try:
            model = _build_cnn(api, config)
            if not isinstance(model, nn.Module):
                answers.append({"error": f"CNN(...) is a {type(model).__name__}, not an nn.Module"})
                continue
        except Exception as exc:
            answers.append({"error": api.describe_error(exc)})
            continue
        flat = getattr(model, "flat_features", None)
        answer = {"flat_features": int(flat) if isinstance(flat, (int, np.integer)) else repr(flat)[:100],
                  "parameters": int(sum(p.numel() for p in model.parameters())),
                  "shapes": sorted(list(p.shape) for p in model.parameters())}
        size = config.get("image_size", 28)
        x = torch.rand(batch, config.get("in_channels", 1), size, size)
        model.eval()
        try:
            with torch.no_grad():
                out = model(x)
            answer["output_shape"] = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        except Exception as exc:
            answer["output_shape"] = {"error": api.describe_error(exc)}
        answers.append(answer)
    return answers


def cnn_forward(api, config, images):
    """Logits of a CNN with fixed parameters in eval mode, and whether dropout behaves in each mode."""
    torch.manual_seed(0)
    model = _build_cnn(api, config)
    _fill_by_shape(model)
    x = torch.as_tensor(images, dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        first, second = model(x), model(x)
    model.train()
    with torch.no_grad():
        train_a, train_b = model(x), model(x)
    return {"logits": first.detach().numpy().astype(np.float64),
            "eval_repeatable": bool(torch.equal(first, second)),
            "train_varies": not bool(torch.equal(train_a, train_b))}


# ---------------------------------------------------------------------------
# data: prepare_images, make_loaders, get_device
# ---------------------------------------------------------------------------

def prepare(api, images, max_value):
    result = api.prepare_images(images, max_value)
    if not isinstance(result, torch.Tensor):
        return {"kind": type(result).__name__}
    return {"kind": "tensor", "dtype": str(result.dtype), "shape": list(result.shape),
            "values": result.detach().cpu().numpy().astype(np.float64)}


def _loader_pass(loader, n, labels_of):
    """One pass over a loader of identifiable images (every pixel of image i is i)."""
    order, sizes, paired, label_kinds, image_kinds = [], [], True, set(), set()
    for batch in loader:
        images, labels = batch
        ids = images.reshape(len(images), -1)[:, 0].round().long().tolist()
        order += ids
        sizes.append(len(ids))
        label_kinds.add(f"{labels.dtype} {list(labels.shape[1:])}")
        image_kinds.add(f"{images.dtype} {list(images.shape[1:])}")
        if labels.ndim == 1:
            paired = paired and [int(v) for v in labels.tolist()] == [labels_of[i] for i in ids]
        else:
            paired = False
    return {"sizes": sizes, "complete": sorted(order) == list(range(n)), "in_order": order == list(range(n)),
            "paired": paired, "labels": sorted(label_kinds), "images": sorted(image_kinds)}, order


def loaders(api, n_train, n_val, image_shape, batch_size, seed):
    """Two passes over the training loader and one over the validation loader, described by their properties."""
    torch.manual_seed(seed)
    np.random.seed(seed)

    def identifiable(n):
        return torch.arange(n, dtype=torch.float32).reshape(n, 1, 1, 1).expand(n, *image_shape).clone()

    train_labels = np.arange(n_train, dtype=np.int64) % 10
    val_labels = (np.arange(n_val, dtype=np.int64) * 3) % 10
    train_loader, val_loader = api.make_loaders(identifiable(n_train), train_labels, identifiable(n_val), val_labels,
                                                batch_size=batch_size)
    first, first_order = _loader_pass(train_loader, n_train, train_labels.tolist())
    second, second_order = _loader_pass(train_loader, n_train, train_labels.tolist())
    val, _ = _loader_pass(val_loader, n_val, val_labels.tolist())
    return {"train": first, "train_again": second, "reshuffled": first_order != second_order, "val": val}


class _CudaLooks:
    """Within the block, torch reports CUDA as available or not, without touching a GPU."""

    def __init__(self, available):
        self.available = available

    def __enter__(self):
        self.saved = torch.cuda.is_available, torch.cuda.device_count
        torch.cuda.is_available = lambda: self.available
        torch.cuda.device_count = lambda: 1 if self.available else 0

    def __exit__(self, *exc):
        torch.cuda.is_available, torch.cuda.device_count = self.saved


def device_choice(api):
    """get_device() with CUDA made to look available, then unavailable (no GPU is touched)."""
    answers = {}
    for label, available in (("with_gpu", True), ("without_gpu", False)):
        with _CudaLooks(available):
            try:
                answers[label] = torch.device(api.get_device()).type
            except Exception as exc:
                answers[label] = {"error": api.describe_error(exc)}
    return answers


# ---------------------------------------------------------------------------
# Instrumented stand-ins for the training loop
# ---------------------------------------------------------------------------

class _Recorder:
    """What the student's code did to the stand-ins, in order."""

    def __init__(self):
        self.events = []            # per event: a short word
        self.forwards = []          # per forward: mode, grad mode, the device its input was moved to
        self.steps = []             # per optimizer step: after a backward? state of the gradients
        self.losses = []            # per loss call: value, what the loss received
        self.fresh = {}             # parameter id -> gradient of the backward passes since the last step
        self.backward_since_forward = False
        self.batch = 0              # index of the batch being served
        self.graph_across_batches = False

    def event(self, name):
        self.events.append(name)


class _Tracked(torch.Tensor):
    """A tensor that remembers the device it was moved to and the batches whose loss graphs it carries."""

    recorder = None

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        sources = [a for a in _flatten((args, kwargs)) if isinstance(a, _Tracked)]
        name = getattr(func, "__name__", "")
        if name == "backward" and cls.recorder is not None:
            cls.recorder.event("backward")
        result = super().__torch_function__(func, types, args, kwargs)
        moved = next((s._moved for s in sources if getattr(s, "_moved", None)), None)
        if name in ("to", "cuda", "cpu"):
            moved = _target_device(name, args[1:], kwargs, sources[0] if sources else None)
        batches = set().union(*(getattr(s, "_batches", set()) for s in sources)) if sources else set()
        for tensor in _flatten(result):
            if isinstance(tensor, _Tracked):
                tensor._moved = moved
                tensor._batches = batches
                if (len(batches) > 1 and tensor.requires_grad and torch.is_grad_enabled()
                        and cls.recorder is not None):
                    cls.recorder.graph_across_batches = True
        return result


def _flatten(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    else:
        yield value


def _target_device(name, args, kwargs, tensor):
    """Where ``.to(...)``, ``.cuda()`` or ``.cpu()`` sends a tensor, named as torch names it ("cpu:0", "cuda")."""
    if name in ("cuda", "cpu"):
        return name
    for candidate in list(args) + [kwargs.get("device")]:
        if isinstance(candidate, torch.Tensor):
            candidate = candidate.device
        if isinstance(candidate, (str, torch.device)):
            return str(torch.device(candidate))
    return getattr(tensor, "_moved", None)  # .to(dtype) alone moves nothing


def _track(tensor, recorder, batch=None):
    tracked = tensor.as_subclass(_Tracked)
    tracked._moved = None
    tracked._batches = {batch} if batch is not None else set()
    _Tracked.recorder = recorder
    return tracked


class _Loader:
    """Yields fixed (images, labels) batches as tracked tensors; has the DataLoader attributes loops use."""

    def __init__(self, images, labels, batch_size, recorder):
        self.images, self.labels = torch.as_tensor(images), torch.as_tensor(labels)
        self.batch_size, self.recorder = batch_size, recorder
        self.dataset = torch.utils.data.TensorDataset(self.images, self.labels)

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __iter__(self):
        for index, start in enumerate(range(0, len(self.images), self.batch_size)):
            self.recorder.batch = index
            yield (_track(self.images[start:start + self.batch_size].clone(), self.recorder),
                   _track(self.labels[start:start + self.batch_size].clone(), self.recorder))


class _Model(nn.Module):
    """A small classifier of (N, 1, 2, 2) images that records how it is called."""

    def __init__(self, recorder, dropout=0.0, n_classes=3):
        super().__init__()
        self.recorder = recorder
        self.hidden = nn.Linear(4, 6)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(6, n_classes)
        self.moved_to = []
        _fill_by_shape(self)
        for parameter in self.parameters():
            parameter.register_hook(self._gradient_hook(parameter))

    def _gradient_hook(self, parameter):
        def hook(grad):
            key = id(parameter)
            previous = self.recorder.fresh.get(key)
            self.recorder.fresh[key] = grad.detach().clone() if previous is None else previous + grad.detach()
            self.recorder.backward_since_forward = True
        return hook

    def forward(self, x):
        self.recorder.event("forward")
        self.recorder.backward_since_forward = False
        self.recorder.forwards.append({"training": bool(self.training), "grad_enabled": torch.is_grad_enabled(),
                                       "moved_to": getattr(x, "_moved", None) or "not moved"})
        x = x.as_subclass(torch.Tensor) if isinstance(x, _Tracked) else x
        hidden = torch.relu(self.hidden(x.reshape(len(x), -1).float()))
        return self.out(self.drop(hidden))

    def to(self, *args, **kwargs):
        target = args[0] if args else kwargs.get("device")
        if isinstance(target, (str, torch.device)):
            self.moved_to.append(str(torch.device(target)))
        return super().to(*args, **kwargs)

    def zero_grad(self, set_to_none=True):
        self.recorder.event("zero_grad")
        return super().zero_grad(set_to_none)


class _Loss(nn.Module):
    """Cross-entropy that records what it is given; its value is tracked across batches."""

    def __init__(self, recorder):
        super().__init__()
        self.recorder = recorder

    def forward(self, outputs, targets):
        self.recorder.event("loss")
        plain_outputs = outputs.as_subclass(torch.Tensor) if isinstance(outputs, _Tracked) else outputs
        plain_targets = targets.as_subclass(torch.Tensor) if isinstance(targets, _Tracked) else targets
        with torch.no_grad():
            rows = plain_outputs.detach()
            probabilities = bool(rows.min() >= 0 and rows.max() <= 1
                                 and torch.allclose(rows.sum(dim=1), torch.ones(len(rows)), atol=1e-4))
        record = {"outputs_are_probabilities": probabilities, "target_dtype": str(plain_targets.dtype),
                  "target_shape": list(plain_targets.shape), "targets_moved_to": getattr(targets, "_moved", None) or "not moved"}
        if plain_targets.ndim == 2:  # one-hot: measure it as class probabilities rather than crash
            loss = F.cross_entropy(plain_outputs, plain_targets.float())
        else:
            loss = F.cross_entropy(plain_outputs, plain_targets.long())
        record["value"] = float(loss.detach())
        self.recorder.losses.append(record)
        return _track(loss, self.recorder, batch=self.recorder.batch)


class _SGD(torch.optim.SGD):
    """Plain SGD that records, at every step, whether the gradients it applies are this batch's own."""

    def __init__(self, params, recorder, lr):
        super().__init__(params, lr=lr)
        self.recorder = recorder

    def zero_grad(self, set_to_none=True):
        self.recorder.event("zero_grad")
        return super().zero_grad(set_to_none)

    @torch.no_grad()
    def step(self, closure=None):
        recorder = self.recorder
        recorder.event("step")
        states = set()
        for group in self.param_groups:
            for parameter in group["params"]:
                fresh = recorder.fresh.get(id(parameter))
                grad = parameter.grad
                if grad is None or not bool(grad.abs().sum() > 0):
                    states.add("none")
                elif fresh is not None and torch.allclose(grad, fresh, rtol=1e-5, atol=1e-7):
                    states.add("fresh")
                else:
                    states.add("accumulated")
        recorder.steps.append({"after_backward": recorder.backward_since_forward,
                               "gradients": "fresh" if states == {"fresh"} else
                               "accumulated" if "accumulated" in states else "none"})
        recorder.fresh = {}
        return super().step(closure)


def _loop_batches(seed, n, n_classes=3):
    rng = np.random.default_rng(seed)
    images = rng.normal(size=(n, 1, 2, 2)).astype(np.float32)
    labels = rng.integers(0, n_classes, size=n).astype(np.int64)
    return images, labels


def _events_by_batch(events):
    """The event list cut at each forward: ['forward loss backward step', ...]."""
    batches, current = [], []
    for event in events:
        if event == "forward" and any(e == "forward" for e in current):
            batches.append(" ".join(current))
            current = []
        current.append(event)
    if current:
        batches.append(" ".join(current))
    return batches


def train_epoch_observed(api, n, batch_size, seed, start_in_eval=True):
    """One train_epoch over stand-ins; returns what the student's loop did to them."""
    torch.manual_seed(seed)
    recorder = _Recorder()
    model = _Model(recorder, dropout=0.0)
    if start_in_eval:
        model.eval()
    images, labels = _loop_batches(seed, n)
    optimizer = _SGD(model.parameters(), recorder, lr=0.1)
    try:
        result = api.train_epoch(model, _Loader(images, labels, batch_size, recorder), _Loss(recorder), optimizer,
                                 torch.device(_DEVICE), l1_lambda=0.0, l2_lambda=0.0)
    finally:
        _Tracked.recorder = None
    return {"returned": _as_plain(result), "batches": len(range(0, n, batch_size)),
            "steps": recorder.steps, "forwards": recorder.forwards,
            "losses": recorder.losses, "graph_across_batches": recorder.graph_across_batches,
            "events": _events_by_batch(recorder.events)}


# ---------------------------------------------------------------------------
# train_epoch on a real model: the updates themselves
# ---------------------------------------------------------------------------

def _bias_free_net():
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8, bias=False), nn.ReLU(), nn.Linear(8, 3, bias=False))


def train_epoch_updates(api, images, labels, batch_size, learning_rate, epochs, l1_lambda, l2_lambda):
    """Several train_epoch calls on a fixed, unshuffled data set; the losses returned and the final weights."""
    torch.manual_seed(0)
    model = _bias_free_net()
    _fill_by_shape(model)
    data = torch.utils.data.TensorDataset(torch.as_tensor(images, dtype=torch.float32), torch.as_tensor(labels))
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    losses = []
    for _ in range(epochs):
        value = api.train_epoch(model, loader, nn.CrossEntropyLoss(), optimizer, torch.device(_DEVICE),
                                l1_lambda=l1_lambda, l2_lambda=l2_lambda)
        losses.append(_as_plain(value))
    hidden, output = (p.detach().numpy().astype(np.float64) for p in model.parameters())
    return {"losses": losses, "weights": {"hidden layer": hidden, "output layer": output}}


def penalty(api, conv_weight, conv_bias, linear_weight, linear_bias, l1_lambda, l2_lambda):
    """regularization_penalty on a conv + linear model with given parameters: its value and gradients."""
    model = nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(18, 3))
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), (conv_weight, conv_bias, linear_weight, linear_bias)):
            parameter.copy_(torch.as_tensor(value, dtype=torch.float32))
    value = api.regularization_penalty(model, l1_lambda=l1_lambda, l2_lambda=l2_lambda)
    answer = {"returned": _as_plain(value)}
    if isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1:
        value.backward()
        answer["gradients"] = [np.zeros(tuple(p.shape)) if p.grad is None else p.grad.numpy().astype(np.float64)
                               for p in model.parameters()]
    return answer


# ---------------------------------------------------------------------------
# evaluate and predict
# ---------------------------------------------------------------------------

def evaluate_observed(api, n, batch_size, seed, dropout):
    """evaluate() over stand-ins (left in training mode beforehand): its answer and how it ran the model."""
    torch.manual_seed(seed)
    recorder = _Recorder()
    model = _Model(recorder, dropout=dropout)
    model.train()
    images, labels = _loop_batches(seed, n)
    before = [p.detach().clone() for p in model.parameters()]
    try:
        result = api.evaluate(model, _Loader(images, labels, batch_size, recorder), _Loss(recorder),
                              torch.device(_DEVICE))
    finally:
        _Tracked.recorder = None
    unchanged = all(torch.equal(a, p.detach()) for a, p in zip(before, model.parameters()))
    returned = ([_as_plain(v) for v in result] if isinstance(result, (tuple, list)) else _as_plain(result))
    return {"returned": returned, "forwards": recorder.forwards, "parameters_unchanged": unchanged}


def predict_observed(api, n, batch_size, seed, dropout):
    """predict() over a stand-in model (left in training mode beforehand) and tracked images."""
    torch.manual_seed(seed)
    recorder = _Recorder()
    model = _Model(recorder, dropout=dropout)
    model.train()
    images, _ = _loop_batches(seed, n)
    try:
        result = api.predict(model, _track(torch.as_tensor(images), recorder), torch.device(_DEVICE),
                             batch_size=batch_size)
    finally:
        _Tracked.recorder = None
    if isinstance(result, np.ndarray):
        returned = {"kind": "ndarray", "dtype_kind": result.dtype.kind, "value": np.array(result)}
    else:
        returned = _as_plain(result)
        returned["kind"] = type(result).__name__
    return {"returned": returned, "forwards": recorder.forwards}


# ---------------------------------------------------------------------------
# fit, with train_epoch and evaluate replaced by scripted stand-ins
# ---------------------------------------------------------------------------

def _train_epoch_signature(model, loader, loss_fn, optimizer, device, l1_lambda=0.0, l2_lambda=0.0):
    pass


def _evaluate_signature(model, loader, loss_fn, device):
    pass


class _FitModel(nn.Linear):
    """A model whose weights say which epoch wrote them, and which records moves and loads."""

    def __init__(self):
        super().__init__(2, 2)
        self.moved_to, self.loaded = [], []

    def to(self, *args, **kwargs):
        target = args[0] if args else kwargs.get("device")
        if isinstance(target, (str, torch.device)):
            self.moved_to.append(str(torch.device(target)))
        return super().to(*args, **kwargs)

    def load_state_dict(self, state_dict, *args, **kwargs):
        self.loaded.append(float(state_dict["weight"].flatten()[0]))
        return super().load_state_dict(state_dict, *args, **kwargs)


def fit_scripted(api, val_losses, epochs, patience, l1_lambda, l2_lambda):
    """fit() whose train_epoch sets every weight to the epoch number and whose evaluate replays ``val_losses``."""
    model = _FitModel()
    with torch.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    calls = {"train": [], "evaluate": []}
    train_marker, val_marker, loss_marker, optimizer_marker = object(), object(), object(), object()

    def scripted_train_epoch(*args, **kwargs):
        bound = inspect.signature(_train_epoch_signature).bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        epoch = len(calls["train"]) + 1
        calls["train"].append({"same_model": a["model"] is model, "train_loader": a["loader"] is train_marker,
                               "device": str(torch.device(a["device"])), "l1_lambda": float(a["l1_lambda"]),
                               "l2_lambda": float(a["l2_lambda"]), "model_moved": list(model.moved_to)})
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.fill_(float(epoch))  # in place, as an optimizer updates
        return 1.0 / epoch

    def scripted_evaluate(*args, **kwargs):
        bound = inspect.signature(_evaluate_signature).bind(*args, **kwargs)
        a = bound.arguments
        epoch = len(calls["train"])
        calls["evaluate"].append({"val_loader": a["loader"] is val_marker, "after_epoch": epoch,
                                  "device": str(torch.device(a["device"]))})
        return float(val_losses[epoch - 1]), 0.5 + epoch / 100

    namespace = api.fit.__globals__
    saved = {name: namespace.get(name) for name in ("train_epoch", "evaluate")}
    namespace["train_epoch"], namespace["evaluate"] = scripted_train_epoch, scripted_evaluate
    try:
        history = api.fit(model, train_marker, val_marker, loss_marker, optimizer_marker, torch.device(_DEVICE),
                          epochs=epochs, patience=patience, l1_lambda=l1_lambda, l2_lambda=l2_lambda)
    finally:
        for name, value in saved.items():
            if value is None:
                namespace.pop(name, None)
            else:
                namespace[name] = value
    if isinstance(history, dict):
        shown = {}
        for key in ("train_loss", "val_loss", "val_accuracy"):
            value = history.get(key)
            shown[key] = [float(v) for v in value] if isinstance(value, (list, tuple)) else type(value).__name__
        best = history.get("best_epoch")
        shown["best_epoch"] = int(best) if isinstance(best, (int, np.integer)) else type(best).__name__
    else:
        shown = type(history).__name__
    return {"history": shown, "epochs_run": len(calls["train"]), "final_weight": float(model.weight.detach()[0, 0]),
            "loaded": model.loaded, "moved_to": model.moved_to, "train_calls": calls["train"],
            "evaluate_calls": calls["evaluate"]}


# ---------------------------------------------------------------------------
# checkpoints
# ---------------------------------------------------------------------------

def _checkpoint_setup(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    for _ in range(2):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model, optimizer


def _state_equal(a, b):
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and bool(torch.equal(a.cpu(), b.cpu()))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_state_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_state_equal(x, y) for x, y in zip(a, b))
    return a == b


def checkpoint_saved(api, epoch, seed):
    """save_checkpoint's file, read back safely (weights_only=True) and compared with what was saved."""
    model, optimizer = _checkpoint_setup(seed)
    with tempfile.TemporaryDirectory(prefix="checkpoint-") as folder:
        path = os.path.join(folder, "checkpoint.pt")
        api.save_checkpoint(path, model, optimizer, epoch)
        if not os.path.exists(path):
            return {"written": False}
        try:
            content = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            return {"written": True, "safe_load_error": _describe_error(exc)[:300]}
    if not isinstance(content, dict):
        return {"written": True, "content": type(content).__name__}
    return {"written": True, "keys": sorted(str(k) for k in content),
            "epoch": content.get("epoch") if isinstance(content.get("epoch"), int) else repr(content.get("epoch")),
            "model_state_equal": _state_equal(content.get("model_state_dict"), model.state_dict()),
            "optimizer_state_equal": _state_equal(content.get("optimizer_state_dict"), optimizer.state_dict())}


def checkpoint_loaded(api, epoch, seed):
    """load_checkpoint on a file written to the documented format, into a fresh model and optimizer."""
    model, optimizer = _checkpoint_setup(seed)
    fresh_model, fresh_optimizer = _checkpoint_setup(seed + 1)
    with tempfile.TemporaryDirectory(prefix="checkpoint-") as folder:
        path = os.path.join(folder, "checkpoint.pt")
        documented = dict(epoch=epoch, model_state_dict=model.state_dict(),
                          optimizer_state_dict=optimizer.state_dict())
        torch.save(documented, path)
        returned = api.load_checkpoint(path, fresh_model, fresh_optimizer)
    return {"returned": _as_plain(returned),
            "model_state_equal": _state_equal(fresh_model.state_dict(), model.state_dict()),
            "optimizer_state_equal": _state_equal(fresh_optimizer.state_dict(), optimizer.state_dict())}


# ---------------------------------------------------------------------------
# the whole pipeline: train on labelled images, predict unlabelled ones
# ---------------------------------------------------------------------------

def train_and_predict(api, train_images, train_labels, val_images, val_labels, test_images, max_value, model,
                      batch_size, learning_rate, patience, budgets, seed, harness_pid):
    """Train the student's CNN with the student's loop; return test predictions (the labels stay outside).

    Run in the harness itself (the reference, at release time) it stays on the
    CPU: the grading process must never hold a CUDA context.
    """
    if os.getpid() == harness_pid:
        with _CudaLooks(False):
            return _train_and_predict(api, train_images, train_labels, val_images, val_labels, test_images,
                                      max_value, model, batch_size, learning_rate, patience, budgets, seed)
    return _train_and_predict(api, train_images, train_labels, val_images, val_labels, test_images, max_value,
                              model, batch_size, learning_rate, patience, budgets, seed)


def _train_and_predict(api, train_images, train_labels, val_images, val_labels, test_images, max_value, model,
                       batch_size, learning_rate, patience, budgets, seed):
    started = time.perf_counter()
    torch.manual_seed(seed)
    np.random.seed(seed)
    cuda = torch.cuda.is_available()
    budget = budgets["gpu" if cuda else "cpu"]
    device = torch.device(api.get_device())
    x_train = api.prepare_images(train_images, max_value)
    x_val = api.prepare_images(val_images, max_value)
    x_test = api.prepare_images(test_images, max_value)
    train_loader, val_loader = api.make_loaders(x_train, train_labels, x_val, val_labels, batch_size=batch_size)
    network = _build_cnn(api, model).to(device)
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
    history = api.fit(network, train_loader, val_loader, nn.CrossEntropyLoss(), optimizer, device,
                      epochs=budget["epochs"], patience=patience, l1_lambda=0.0, l2_lambda=0.0)
    predictions = api.predict(network, x_test, device, batch_size=256)
    if isinstance(predictions, torch.Tensor):
        predictions = predictions.detach().cpu().numpy()
    predictions = np.asarray(predictions).reshape(-1).astype(np.int64)
    seconds = time.perf_counter() - started
    answer = {"predictions": predictions, "device": device.type, "seconds": seconds, "epochs_allowed": budget["epochs"],
              "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else ""}
    if isinstance(history, dict):
        answer["history"] = {k: [float(v) for v in history[k]] for k in ("train_loss", "val_loss", "val_accuracy")
                             if isinstance(history.get(k), (list, tuple))}
    del network, optimizer
    if cuda:
        torch.cuda.empty_cache()
    return answer
