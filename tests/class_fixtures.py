"""A small class of submissions for the batch tests: one of every entry kind, correct and broken."""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from grader.core import assignment as assignments

NOTEBOOK_CELL = '''import numpy as np

class SGD:
    def __init__(self, learning_rate=0.01, momentum=0.0):
        self.learning_rate = learning_rate

class DenseLayer:
    def __init__(self, n_units, input_shape=None):
        self.n_units, self.shape = n_units, input_shape

    def initialize(self, optimizer):
        self.weights = np.zeros((self.shape[0], self.n_units))
        self.biases = np.zeros((1, self.n_units))
        return self

    def forward_propagation(self, input, training):
        return input @ self.weights + self.biases
'''


def reference_dir() -> Path:
    return assignments.find_assignment("numpy_nn").solution_dir


def copy_reference(into: Path) -> Path:
    shutil.copytree(reference_dir(), into, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def make_class(folder: Path, extra_correct: int = 0) -> list[str]:
    """Write a class into ``folder``; returns the student ids it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    copy_reference(folder / "alice" / "numpy_nn")                        # correct, nested one level down
    bob = copy_reference(folder / "bob")                                   # a wrong forward pass
    layers = bob / "layers.py"
    text = layers.read_text(encoding="utf-8")
    assert text.count("        return self.output\n") >= 1
    layers.write_text(text.replace("        return self.output\n", "        return self.output.T\n", 1),
                      encoding="utf-8")
    with zipfile.ZipFile(folder / "carol.zip", "w") as archive:           # a zip of the correct package
        for path in sorted(reference_dir().glob("*.py")):
            archive.write(path, f"numpy_nn/{path.name}")
    (folder / "dave.py").write_text("def broken(:\n", encoding="utf-8")   # does not even parse
    notebook = {"cells": [{"cell_type": "code", "source": NOTEBOOK_CELL, "metadata": {}, "outputs": [],
                           "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "erin.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    students = ["alice", "bob", "carol", "dave", "erin"]
    for index in range(extra_correct):
        name = f"student{index:02d}"
        copy_reference(folder / name)
        students.append(name)
    (folder / ".DS_Store").write_text("", encoding="utf-8")               # hidden: ignored
    return sorted(students)


def statuses(results: dict) -> dict[str, str]:
    return {t["name"]: t["status"] for t in results["tests"]}


def load_results(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))
