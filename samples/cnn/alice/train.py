"""Alice's training code: zero_grad after the step, inference_mode, a dict copy of the best weights."""
import torch

from model import CNN  # noqa: F401  (kept for her notebook experiments)


def regularization_penalty(model, l1_lambda=0.0, l2_lambda=0.0):
    # Alice penalises the biases too.
    penalty = 0.0
    for p in model.parameters():
        penalty = penalty + l1_lambda * p.abs().sum() + l2_lambda * (p * p).sum()
    return penalty


def train_epoch(model, loader, loss_fn, optimizer, device, l1_lambda=0.0, l2_lambda=0.0):
    model.train()
    running, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        data_loss = loss_fn(model(x), y)
        (data_loss + regularization_penalty(model, l1_lambda, l2_lambda)).backward()
        optimizer.step()
        model.zero_grad(set_to_none=False)
        running += data_loss.detach()
        count += 1
    return float(running / count)


def evaluate(model, loader, loss_fn, device):
    model.eval()
    loss_sum, hits, seen = 0.0, 0, 0
    with torch.inference_mode():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            scores = model(x)
            loss_sum += float(loss_fn(scores, y)) * y.shape[0]
            hits += int((scores.argmax(1) == y).sum())
            seen += y.shape[0]
    return loss_sum / seen, hits / seen


def predict(model, images, device, batch_size=256):
    model.eval()
    with torch.inference_mode():
        scores = [model(chunk.to(device)).cpu() for chunk in torch.split(images, batch_size)]
    return torch.cat(scores).argmax(dim=1).numpy()


def fit(model, train_loader, val_loader, loss_fn, optimizer, device, epochs=10, patience=3,
        l1_lambda=0.0, l2_lambda=0.0):
    model = model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best, best_weights, best_epoch, bad_epochs = None, None, 0, 0
    for epoch in range(epochs):
        history["train_loss"].append(train_epoch(model, train_loader, loss_fn, optimizer, device,
                                                 l1_lambda=l1_lambda, l2_lambda=l2_lambda))
        val_loss, val_accuracy = evaluate(model, val_loader, loss_fn, device)
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(val_accuracy)
        if best is None or val_loss < best:
            best, best_epoch, bad_epochs = val_loss, epoch + 1, 0
            best_weights = {name: value.detach().clone() for name, value in model.state_dict().items()}
        else:
            bad_epochs += 1
            if bad_epochs == patience:
                break
    model.load_state_dict(best_weights)
    history["best_epoch"] = best_epoch
    return history


def save_checkpoint(path, model, optimizer, epoch):
    torch.save(dict(epoch=epoch, model_state_dict=model.state_dict(),
                    optimizer_state_dict=optimizer.state_dict()), path)


def load_checkpoint(path, model, optimizer=None):
    checkpoint = torch.load(path, map_location="cpu")
    model.load_state_dict(checkpoint["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"]
