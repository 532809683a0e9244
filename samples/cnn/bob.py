"""Bob's whole assignment in one file (he copied the cells out of his notebook)."""
import copy

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


class CNN(nn.Module):
    def __init__(self, in_channels=1, image_size=28, n_classes=10, conv_channels=(16, 32), kernel_size=3,
                 hidden_units=64, dropout=0.25):
        super().__init__()
        blocks = []
        channels, size = in_channels, image_size
        for out_channels in conv_channels:
            padding = kernel_size // 2
            blocks += [nn.Conv2d(channels, out_channels, kernel_size, padding=padding), nn.ReLU(), nn.MaxPool2d(2)]
            size = conv_output_size(size, kernel_size, padding=padding)
            size = conv_output_size(size, 2, stride=2)
            channels = out_channels
        self.features = nn.Sequential(*blocks)
        self.flat_features = channels * size * size
        self.dropout = nn.Dropout(dropout)
        self.hidden = nn.Linear(self.flat_features, hidden_units)
        self.output = nn.Linear(hidden_units, n_classes)

    def forward(self, x):
        """x: (N, in_channels, image_size, image_size) float tensor -> logits (N, n_classes)."""
        x = self.features(x)
        x = torch.flatten(x, start_dim=1)
        x = torch.relu(self.hidden(self.dropout(x)))
        return self.output(self.dropout(x))


def get_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def prepare_images(images, max_value=255.0):
    x = torch.as_tensor(np.asarray(images), dtype=torch.float32) / max_value
    if x.ndim == 3:
        x = x.unsqueeze(1)
    return x


def make_loaders(train_images, train_labels, val_images, val_labels, batch_size=64):
    train = TensorDataset(torch.as_tensor(train_images), torch.as_tensor(train_labels, dtype=torch.long))
    val = TensorDataset(torch.as_tensor(val_images), torch.as_tensor(val_labels, dtype=torch.long))
    return DataLoader(train, batch_size=batch_size), DataLoader(val, batch_size=batch_size, shuffle=False)


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
        outputs = model(images)
        loss = loss_fn(outputs, labels)
        objective = loss + regularization_penalty(model, l1_lambda, l2_lambda)
        objective.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
    return total / max(batches, 1)


def evaluate(model, loader, loss_fn, device):
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
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def save_checkpoint(path, model, optimizer, epoch):
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict()}, path)


def load_checkpoint(path, model, optimizer=None):
    device = next(model.parameters()).device
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return int(checkpoint["epoch"])
