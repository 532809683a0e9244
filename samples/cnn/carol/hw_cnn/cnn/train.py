"""Carol's train.py."""

import copy

import numpy as np
import torch

from .data import get_device


def regularization_penalty(model, l1_lambda=0.0, l2_lambda=0.0):
    weights = [p for p in model.parameters() if p.ndim > 1]
    l1 = sum(p.abs().sum() for p in weights)
    l2 = sum(p.pow(2).sum() for p in weights)
    return l1_lambda * l1 + l2_lambda * l2


def train_epoch(model, loader, loss_fn, optimizer, device, l1_lambda=0.0, l2_lambda=0.0):
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


def evaluate(model, loader, loss_fn, device):
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


def predict(model, images, device, batch_size=256):
    model.eval()
    predictions = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size].to(device)
            predictions.append(model(batch).argmax(dim=1).cpu())
    if not predictions:
        return np.zeros(0, dtype=np.int64)
    return torch.cat(predictions).numpy().astype(np.int64)


def fit(model, train_loader, val_loader, loss_fn, optimizer, device, epochs=10, patience=3,
        l1_lambda=0.0, l2_lambda=0.0):
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
    return history


def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict()}, path)


def load_checkpoint(path, model, optimizer=None):
    checkpoint = torch.load(path, map_location=get_device(), weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    return int(checkpoint["epoch"])


if __name__ == "__main__":  # her own experiment; never run by the grader
    from sklearn.datasets import load_digits

    from .data import make_loaders, prepare_images
    from .model import CNN

    digits = load_digits()
    x = prepare_images(digits.images, 16.0)
    train_loader, val_loader = make_loaders(x[:1500], digits.target[:1500], x[1500:], digits.target[1500:])
    net = CNN(image_size=8)
    print(fit(net, train_loader, val_loader, torch.nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters()),
              get_device()))
