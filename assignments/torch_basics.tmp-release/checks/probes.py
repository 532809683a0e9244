"""Probes for torch_basics: trusted functions run in the sandbox on the student's notebook (and here on the reference).

Inputs arrive as numpy arrays and are turned into tensors here; tensors go back
as numpy arrays. Training probes hand the student's loop a stand-in model
(``nn.Linear``) with hooks that count backward passes, see which samples each
mini-batch held, and notice gradients that were never reset.
"""
import warnings

import numpy as np


def _to_numpy(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _tensor_facts(value):
    import torch

    if not isinstance(value, torch.Tensor):
        return {"is_tensor": False, "type": type(value).__name__}
    return {"is_tensor": True, "values": _to_numpy(value), "dtype": str(value.dtype).replace("torch.", ""),
            "requires_grad": bool(value.requires_grad), "is_leaf": bool(value.is_leaf),
            "in_graph": value.grad_fn is not None}


# -- section 1 -------------------------------------------------------------------------------------
def named_tensor(api, name):
    """What the notebook left in the variable ``name`` (x_block, y_block, z_block, block_grad)."""
    return _tensor_facts(getattr(api, name))


def make_leaf(api, array):
    return _tensor_facts(api.make_leaf(array.copy()))


def autograd_gradient(api, array):
    return _to_numpy(api.autograd_gradient(array.copy()))


def gradient_list(api, function, array, n):
    """accumulated_gradients / fresh_gradients: the list of gradients, as one array (one row per call)."""
    snapshots = getattr(api, function)(array.copy(), n)
    return {"count": len(snapshots), "gradients": np.stack([_to_numpy(g) for g in snapshots])}


# -- section 2 -------------------------------------------------------------------------------------
def softmax(api, t):
    import torch

    return _to_numpy(api.softmax(torch.from_numpy(t)))


def softmax_model(api, W, b, x):
    import torch

    return _to_numpy(api.softmax_model(torch.from_numpy(W), torch.from_numpy(b), torch.from_numpy(x)))


def nll(api, Y, Q):
    import torch

    return _to_numpy(api.nll(torch.from_numpy(Y), torch.from_numpy(Q)))


def accuracy(api, Y, Q):
    import torch

    return _to_numpy(api.accuracy(torch.from_numpy(Y), torch.from_numpy(Q)))


def train_softmax_autograd(api, X_train, Y_train, X_test, epochs, rho, seed):
    import torch

    torch.manual_seed(seed)
    (W, b), history = api.train_softmax_autograd(torch.from_numpy(X_train), torch.from_numpy(Y_train),
                                                 epochs=epochs, rho=rho)
    W, b = torch.as_tensor(W).detach(), torch.as_tensor(b).detach()
    if W.shape[0] != X_test.shape[1] and W.shape[-1] == X_test.shape[1]:
        W, b = W.T, b.reshape(-1)   # W stored (classes, features), the course's x @ W.T + b convention
    with torch.no_grad():   # the scores' argmax is the softmax's: the student's softmax is not needed here
        scores = torch.from_numpy(X_test) @ W + b
    return {"predictions": _to_numpy(scores.argmax(dim=1)), "history": np.asarray(history, dtype=float)}


# -- section 3 -------------------------------------------------------------------------------------
def _set_by_shape(model, W, b):
    """Load W (n_out, n_in) and b into a model whose parameters are shaped like W, W.T and b."""
    import torch

    with torch.no_grad():
        for parameter in model.parameters():
            if tuple(parameter.shape) == W.shape:
                parameter.copy_(torch.from_numpy(W))
            elif tuple(parameter.shape) == W.T.shape:
                parameter.copy_(torch.from_numpy(W.T.copy()))
            elif tuple(parameter.shape) == b.shape:
                parameter.copy_(torch.from_numpy(b))


def module_parameters(api, n_in, n_out):
    import torch

    model = api.SoftmaxRegression(n_in, n_out)
    return {"is_module": isinstance(model, torch.nn.Module),
            "shapes": sorted([list(p.shape) for p in model.parameters() if p.requires_grad])}


def module_forward(api, W, b, x):
    import torch

    model = api.SoftmaxRegression(W.shape[1], W.shape[0])
    _set_by_shape(model, W, b)
    with torch.no_grad():
        return _to_numpy(model(torch.from_numpy(x)))


# -- sections 4 and 5: training loops on a watched stand-in model ----------------------------------------
def _watched_linear(n_in, n_out):
    """nn.Linear with hooks: backward passes, the rows (row sums) of each back-propagated batch, stale gradients."""
    import torch

    model = torch.nn.Linear(n_in, n_out)
    seen = {"passes": 0, "stale": 0, "batches": [], "last_rows": None, "fresh": None}

    def on_gradient(gradient):
        seen["fresh"] = gradient.detach().clone()

    def after_accumulation(parameter):
        seen["passes"] += 1
        if not torch.allclose(parameter.grad, seen["fresh"]):
            seen["stale"] += 1

    def on_forward(module, inputs, output):
        seen["last_rows"] = inputs[0].detach().sum(dim=1).numpy().copy()

    def on_backward(module, grad_input, grad_output):
        seen["batches"].append(seen["last_rows"])

    model.weight.register_hook(on_gradient)
    model.weight.register_post_accumulate_grad_hook(after_accumulation)
    model.register_forward_hook(on_forward)
    model.register_full_backward_hook(on_backward)
    return model, seen


def _training_report(model, seen, X_test, history):
    import torch

    with torch.no_grad():
        predictions = model(torch.from_numpy(X_test)).argmax(dim=1)
    batches = [b for b in seen["batches"] if b is not None]
    return {"predictions": _to_numpy(predictions), "history": np.asarray(history, dtype=float),
            "backward_passes": seen["passes"], "stale_gradients": seen["stale"],
            "batch_sizes": np.array([len(b) for b in batches], dtype=np.int64),
            "batch_row_sums": np.concatenate(batches) if batches else np.zeros(0, dtype=np.float32)}


def train_model(api, X_train, y_train, X_test, epochs, lr, batch_size, seed):
    import torch

    torch.manual_seed(seed)
    model, seen = _watched_linear(X_train.shape[1], int(y_train.max()) + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the full backward hook warns that no input requires grad
        history = api.train_model(model, torch.from_numpy(X_train), torch.from_numpy(y_train),
                                  epochs=epochs, lr=lr, batch_size=batch_size)
    return _training_report(model, seen, X_test, history)


def train_adam(api, X_train, y_train, X_test, epochs, lr, gamma, batch_size, seed):
    import torch

    torch.manual_seed(seed)
    model, seen = _watched_linear(X_train.shape[1], int(y_train.max()) + 1)
    made = []
    original_init = torch.optim.Adam.__init__

    def recording_init(self, *args, **kwargs):
        made.append(self)
        original_init(self, *args, **kwargs)

    torch.optim.Adam.__init__ = recording_init
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss_history, lr_history = api.train_adam(model, torch.from_numpy(X_train), torch.from_numpy(y_train),
                                                      epochs=epochs, lr=lr, gamma=gamma, batch_size=batch_size)
    finally:
        torch.optim.Adam.__init__ = original_init
    report = _training_report(model, seen, X_test, loss_history)
    owners = [o for o in made if any(p is model.weight for g in o.param_groups for p in g["params"])]
    report.update({"adam_used": bool(owners), "lr_history": np.asarray(lr_history, dtype=float),
                   "final_lr": float(owners[0].param_groups[0]["lr"]) if owners else float("nan")})
    return report


# -- section 6 -------------------------------------------------------------------------------------
def mlp_structure(api, n_in, hidden, n_out):
    model = api.make_mlp(n_in, list(hidden), n_out)
    layers = []
    for layer in getattr(model, "children", lambda: [])():
        entry = {"type": type(layer).__name__}
        if hasattr(layer, "in_features"):
            entry.update({"in": int(layer.in_features), "out": int(layer.out_features)})
        layers.append(entry)
    return {"type": type(model).__name__, "layers": layers}


def mlp_forward(api, n_in, hidden, n_out, weights, biases, x):
    import torch

    model = api.make_mlp(n_in, list(hidden), n_out)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for layer, W, b in zip(linears, weights, biases):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
        return _to_numpy(model(torch.from_numpy(x)))


def mlp_trained(api, X_train, y_train, X_test, hidden, epochs, seed):
    """The student's make_mlp trained by this probe's own standard loop (Adam), so only the architecture is graded."""
    import torch

    torch.manual_seed(seed)
    model = api.make_mlp(X_train.shape[1], list(hidden), int(y_train.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_function = torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X_train), torch.from_numpy(y_train)
    for _ in range(epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            loss_function(model(X[batch]), y[batch]).backward()
            optimizer.step()
    with torch.no_grad():
        return _to_numpy(model(torch.from_numpy(X_test)).argmax(dim=1))
