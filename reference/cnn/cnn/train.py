"""Training, evaluation, early stopping and checkpoints.

The recipe of one optimisation step, for every batch::

    optimizer.zero_grad()            # forget the previous batch's gradients
    outputs = model(images)          # forward pass: logits (N, n_classes)
    loss = loss_fn(outputs, labels)  # a scalar tensor, holding the graph
    loss.backward()                  # gradients into every parameter's .grad
    optimizer.step()                 # update the parameters with them

Gradients *accumulate* in ``.grad`` until they are zeroed, so the zeroing is
part of every step. Evaluation needs neither gradients nor dropout: run it in
``model.eval()`` mode inside ``torch.no_grad()``.
"""

import copy

import numpy as np
import torch


def regularization_penalty(model, l1_lambda=0.0, l2_lambda=0.0):
    """The regularisation term added to the loss: ``l1_lambda * ||w||_1 + l2_lambda * ||w||^2``.

    ``||w||_1`` is the sum of the absolute values and ``||w||^2`` the sum of the
    squares of the model's weights: the parameters with more than one
    dimension (convolution kernels and linear weight matrices; biases are
    not penalised). Returns a scalar tensor that is part of the autograd graph,
    so that ``backward`` differentiates it too.

    L2 is "weight decay": its gradient ``2 * l2_lambda * w`` pulls every weight
    towards 0 at each step (``torch.optim.SGD(weight_decay=2 * l2_lambda)`` does
    the same). Penalise once: add this term to the loss *or* give the optimizer
    a ``weight_decay``, never both.
    """
    # <SOL> sum |w| and w**2 over the parameters with more than one dimension
    weights = [p for p in model.parameters() if p.ndim > 1]
    l1 = sum(p.abs().sum() for p in weights)
    l2 = sum(p.pow(2).sum() for p in weights)
    return l1_lambda * l1 + l2_lambda * l2
    # </SOL>


def train_epoch(model, loader, loss_fn, optimizer, device, l1_lambda=0.0, l2_lambda=0.0):
    """One pass over ``loader``, one optimisation step per batch; returns the mean batch loss (a float).

    model: an ``nn.Module`` already on ``device``; loader: yields
    ``(images, labels)`` batches (move each to ``device``); loss_fn: e.g.
    ``nn.CrossEntropyLoss()``, called as ``loss_fn(logits, labels)``;
    optimizer: a ``torch.optim`` optimizer over the model's parameters.

    Put the model in training mode first (``model.train()``: an earlier
    evaluation may have left it in eval mode, with dropout off). Each step
    minimises ``loss_fn(outputs, labels) + regularization_penalty(model,
    l1_lambda, l2_lambda)``. The value returned is the mean over the batches of
    the data loss ``loss_fn(outputs, labels)`` (without the penalty), as a
    Python float: collect ``loss.item()``, never the loss tensor itself (a
    tensor sum keeps every batch's autograd graph alive).
    """
    # <SOL> train mode; for each batch: to device, zero_grad, forward, loss (+ penalty), backward, step
    model.train()
    total, batches = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(images)
        loss = loss_fn(outputs, labels)
        objective = loss + regularization_penalty(model, l1_lambda, l2_lambda)
        objective.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / max(batches, 1)
    # </SOL>


def evaluate(model, loader, loss_fn, device):
    """Mean loss and accuracy of ``model`` over ``loader``: a ``(loss, accuracy)`` pair of floats.

    Run in ``model.eval()`` mode (dropout off) and inside ``torch.no_grad()``
    (no graph is built: faster, less memory). The loss is the mean per example
    (weight each batch's mean loss by its size); the accuracy is the fraction
    of examples whose arg-max logit is the true label, between 0 and 1.
    """
    # <SOL> eval mode and no_grad; accumulate loss * batch size and the number of correct predictions
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            total_loss += loss_fn(outputs, labels).item() * len(labels)
            correct += (outputs.argmax(dim=1) == labels).sum().item()
            count += len(labels)
    return total_loss / max(count, 1), correct / max(count, 1)
    # </SOL>


def predict(model, images, device, batch_size=256):
    """Predicted class of every image: a numpy ``int64`` array of shape ``(N,)``.

    images: a float tensor ``(N, C, H, W)`` (from ``prepare_images``). Work in
    batches of ``batch_size`` on ``device``, in eval mode without gradients,
    and bring the arg-max of the logits back to the CPU (``.cpu().numpy()``).
    """
    # <SOL> eval mode, no_grad, batches to the device, argmax over the classes, back to numpy
    model.eval()
    predictions = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size].to(device)
            predictions.append(model(batch).argmax(dim=1).cpu())
    if not predictions:
        return np.zeros(0, dtype=np.int64)
    return torch.cat(predictions).numpy().astype(np.int64)
    # </SOL>


def fit(model, train_loader, val_loader, loss_fn, optimizer, device, epochs=10, patience=3,
        l1_lambda=0.0, l2_lambda=0.0):
    """Train with early stopping on the validation loss; leave ``model`` holding its best weights.

    First move the model to ``device`` (``model.to(device)``). Then, for epoch
    1, 2, ... ``epochs``: ``train_epoch`` (with the penalties) then ``evaluate``
    on ``val_loader``. An epoch *improves* when its validation loss is strictly
    lower than every earlier one: keep a **copy** of its weights
    (``copy.deepcopy(model.state_dict())``: a bare ``state_dict()`` shares the
    live tensors and keeps changing with them). After ``patience`` epochs in a
    row without improvement, stop. Finally load the best weights back
    (``model.load_state_dict``): the model returned is the best one seen, not
    the last one trained.

    Returns the history, a dict::

        {"train_loss": [...], "val_loss": [...], "val_accuracy": [...],  # one entry per epoch run
         "best_epoch": k}                                                  # 1-based epoch of the best weights
    """
    # <SOL> move the model; loop over epochs with train_epoch and evaluate; track the best copy and the patience
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "best_epoch": 0}
    best_loss, best_state, waited = float("inf"), None, 0
    for epoch in range(1, epochs + 1):
        train_loss = train_epoch(model, train_loader, loss_fn, optimizer, device, l1_lambda, l2_lambda)
        val_loss, val_accuracy = evaluate(model, val_loader, loss_fn, device)
        history["train_loss"].append(train_loss)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if val_loss < best_loss:
            best_loss, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history
    # </SOL>


def save_checkpoint(path, model, optimizer, epoch):
    """Save a training checkpoint to ``path`` with ``torch.save``.

    The file holds a dict of plain tensors and numbers (never the model object
    itself: a pickled model can only be loaded by trusting and running code)::

        {"epoch": epoch,
         "model_state_dict": model.state_dict(),
         "optimizer_state_dict": optimizer.state_dict()}
    """
    # <SOL> torch.save a dict of the epoch and the two state dicts
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict()}, path)
    # </SOL>


def load_checkpoint(path, model, optimizer=None):
    """Restore a checkpoint written by :func:`save_checkpoint`; returns its epoch (an int).

    Loads the weights into ``model`` and, when given, the state into
    ``optimizer`` (Adam's running averages, momentum buffers...), in place.
    Load onto the model's own device (``map_location``) so that a checkpoint
    written on a GPU also loads on a CPU-only machine.
    """
    # <SOL> torch.load (onto the model's device), then load_state_dict into the model and the optimizer
    device = next(model.parameters()).device
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return int(checkpoint["epoch"])
    # </SOL>
