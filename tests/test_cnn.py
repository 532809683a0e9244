"""The cnn assignment: data sets, reference, skeleton, probes, mistake catalogue and the accuracy check.

Fast tests run the checks in this process with the reference (or a catalogued
mutant) as the student, leaving out the training checks; the accuracy check
is exercised once on a 2-epoch budget; full grades through the sandbox come last.
"""
from __future__ import annotations

import copy
import dataclasses
import gzip
import importlib.util
import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from grader.authoring.release import release  # noqa: E402
from grader.checks import datasets  # noqa: E402
from grader.checks.mistakes import Catalogue  # noqa: E402
from grader.checks.probing import TrustedRunner  # noqa: E402
from grader.core import assignment as assignments  # noqa: E402
from grader.core.types import check_class  # noqa: E402
from grader.engine.declared import declared_checks  # noqa: E402
from grader.engine.grade import grade  # noqa: E402
from grader.engine.kinds import catalogue_for  # noqa: E402
from grader.engine.session import GradingSession, reference_for, run_checks  # noqa: E402
from grader.submissions.modules import stage_modules as stage  # noqa: E402

ASSIGNMENT = assignments.find_assignment("cnn")


def _load_reference_module(name: str):
    path = ASSIGNMENT.solution_dir / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_cnn_reference_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# data sets
# ---------------------------------------------------------------------------

def test_bundled_mnist_is_real_stratified_and_seeded():
    data = datasets.load_images("mnist", seed=0, test_fraction=0.2)
    assert data.x_train.shape == (4000, 28, 28) and data.x_test.shape == (1000, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.max_value == 255.0 and data.n_classes == 10
    assert np.bincount(data.y_test).tolist() == [100] * 10  # the file is sorted by label: stratified split
    assert data.x_train.max() == 255 and data.x_train.mean() > 20  # real digits, not blanks
    again = datasets.load_images("mnist", seed=0, test_fraction=0.2)
    assert np.array_equal(again.y_test, data.y_test) and np.array_equal(again.x_test, data.x_test)
    other = datasets.load_images("mnist", seed=1, test_fraction=0.2)
    assert not np.array_equal(other.y_test, data.y_test)
    x_train, y_train, x_val, y_val = data.validation_split(0.1, seed=0)
    assert len(x_val) == 400 and np.bincount(y_val).tolist() == [40] * 10


def test_bundled_digits():
    data = datasets.load_images("digits", seed=0, test_fraction=0.2)
    assert data.x_train.shape[1:] == (8, 8) and len(data.x_test) == 360
    assert data.max_value == 16.0 and data.x_train.max() == 16 and data.image_shape == (1, 8, 8)


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def _tiny_arrays(rng):
    return {"x_train": rng.integers(0, 256, size=(30, 6, 6)).astype(np.uint8), "y_train": rng.integers(0, 3, 30),
            "x_test": rng.integers(0, 256, size=(12, 6, 6)).astype(np.uint8), "y_test": rng.integers(0, 3, 12)}


def test_instructor_npz_from_data_dir_replaces_bundled(tmp_path, monkeypatch):
    arrays = _tiny_arrays(np.random.default_rng(0))
    np.savez(tmp_path / "mnist.npz", **arrays)
    monkeypatch.setenv(datasets.DATA_DIR_VARIABLE, str(tmp_path))
    data = datasets.load_images("mnist")
    assert data.source == str(tmp_path / "mnist.npz") and data.max_value == 255.0
    assert np.array_equal(data.y_test, arrays["y_test"]) and np.array_equal(data.x_train, arrays["x_train"])


def test_instructor_idx_folder_from_assignment_table(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.DATA_DIR_VARIABLE, raising=False)
    arrays = _tiny_arrays(np.random.default_rng(1))
    folder = tmp_path / "full-mnist"
    folder.mkdir()
    for key, stem in datasets.IDX_FILES.items():
        _write_idx(folder / (stem + (".gz" if key.startswith("x") else "")), arrays[key])
    data = datasets.load_images("mnist", paths={"mnist": "full-mnist"}, base=tmp_path)
    assert data.x_train.shape == (30, 6, 6) and data.y_train.dtype == np.int64
    assert np.array_equal(data.x_test, arrays["x_test"]) and np.array_equal(data.y_train, arrays["y_train"])


def test_bad_instructor_data_says_what_to_fix(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.DATA_DIR_VARIABLE, raising=False)
    np.savez(tmp_path / "mine.npz", x_train=np.zeros((3, 4, 4)), y_train=np.zeros(3, dtype=int))
    with pytest.raises(datasets.DatasetError, match=r"mine.npz lacks x_test, y_test.*np.savez"):
        datasets.load_images("mine", paths={"mine": str(tmp_path / "mine.npz")})
    np.savez(tmp_path / "hot.npz", x_train=np.zeros((3, 4, 4)), y_train=np.eye(3, dtype=int),
             x_test=np.zeros((2, 4, 4)), y_test=np.zeros(2, dtype=int))
    with pytest.raises(datasets.DatasetError, match="one-hot"):
        datasets.load_images("hot", paths={"hot": str(tmp_path / "hot.npz")})
    with pytest.raises(datasets.DatasetError, match="does not exist"):
        datasets.load_images("mnist", paths={"mnist": "nowhere.npz"}, base=tmp_path)
    with pytest.raises(datasets.DatasetError, match="bundled ones are mnist, digits"):
        datasets.load_images("cifar")


# ---------------------------------------------------------------------------
# reference, skeleton, configuration
# ---------------------------------------------------------------------------

def test_reference_conv_output_size_agrees_with_torch():
    conv_output_size = _load_reference_module("model").conv_output_size
    x_cache = {}
    for size in (1, 5, 8, 13, 28):
        for kernel in (1, 2, 3, 5):
            for stride in (1, 2, 3):
                for padding in (0, 1, 2):
                    for dilation in (1, 2):
                        if dilation * (kernel - 1) + 1 > size + 2 * padding or padding > kernel // 2 + 1:
                            continue
                        x = x_cache.setdefault(size, torch.zeros(1, 1, size, size))
                        conv = torch.nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
                        expected = conv(x).shape[-1]
                        got = conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
                        assert type(got) is int and got == expected, (size, kernel, stride, padding, dilation)
    assert conv_output_size(7, 2, stride=2) == torch.nn.MaxPool2d(2)(torch.zeros(1, 1, 7, 7)).shape[-1] == 3


def test_release_strips_every_solution(tmp_path):
    bundle = release(ASSIGNMENT, tmp_path / "bundle")
    sources = {p.name: p.read_text() for p in (bundle / "cnn").glob("*.py")}
    assert set(sources) == {"__init__.py", "model.py", "data.py", "train.py"}
    for name, text in sources.items():
        assert "<SOL>" not in text and "# </SOL>" not in text, name
    assert sources["train.py"].count("raise NotImplementedError") == 7
    assert "test_hidden_training_mnist.py" not in {p.name for p in (bundle / "checks").iterdir()}  # hidden
    assert 'preload = ["numpy", "torch"]' in (bundle / "assignment.toml").read_text()


def test_gpu_machines_lift_the_address_space_limit(monkeypatch):
    root = ASSIGNMENT.root
    monkeypatch.setattr(assignments, "gpu_visible", lambda: False)
    assert assignments.Assignment.from_dir(root).limits.memory_mb == 3072
    monkeypatch.setattr(assignments, "gpu_visible", lambda: True)
    assert assignments.Assignment.from_dir(root).limits.memory_mb == 0


# ---------------------------------------------------------------------------
# the checks, run in this process (no sandbox) on the reference and on every mutant
# ---------------------------------------------------------------------------

FAST_FILES = [f for f in ASSIGNMENT.check_files() if "training" not in f.name]


def _check_classes(path: Path) -> set[str]:
    """The classes named by the checks of one file (``CNN`` for ``CNN.forward: ...``)."""
    return {check_class(c.name) for c in declared_checks(ASSIGNMENT) if c.file == path.name}


def _fast_assignment(files=FAST_FILES):
    fast = dataclasses.replace(ASSIGNMENT)
    fast.check_files = lambda public_only=False: list(files)
    return fast


@pytest.fixture(scope="module", autouse=True)
def _no_gc_sweeps_after_inner_runs():
    """Each in-process grade is a pytest run, which ends with 5 full gc sweeps of a heap holding torch
    (about 1.5 s on a busy machine); they find nothing here, so this module's inner runs skip them."""
    import _pytest.unraisableexception as unraisable

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(unraisable, "gc_collect_harder", lambda iterations: None)
        yield


@pytest.fixture(scope="module")
def catalogue():
    catalogue = catalogue_for(ASSIGNMENT)
    yield catalogue
    catalogue.close()


def _grade_in_process(student, catalogue, files=FAST_FILES):
    session = GradingSession(_fast_assignment(files), student, reference_for(ASSIGNMENT), catalogue)
    results, output = run_checks(session)
    assert results, output[-3000:]
    return results


def test_reference_passes_every_check_without_a_false_alarm(catalogue):
    results = _grade_in_process(reference_for(ASSIGNMENT), catalogue)
    failed = [f"{r.name}: {r.message}" for r in results if not r.passed]
    assert not failed
    assert not [m for r in results for m in r.misconceptions]
    assert len(results) == 31


@pytest.mark.parametrize("mistake_id", [m.id for m in Catalogue(ASSIGNMENT)])
def test_every_catalogued_mistake_is_caught_and_named(mistake_id, catalogue):
    mistake = catalogue.get(mistake_id)
    mutant = catalogue._runner(mistake)  # the mutant's in-process runner, shared with diagnosis
    files = [f for f in FAST_FILES if mistake.cls in _check_classes(f)]
    assert files, f"{mistake_id}: no check file has checks of {mistake.cls}"
    results = _grade_in_process(mutant, catalogue, files)
    of_class = [r for r in results if r.cls == mistake.cls]
    failed = [r for r in of_class if not r.passed]
    assert failed, f"{mistake_id}: no check of {mistake.cls} failed"
    assert any(mistake_id in r.misconceptions for r in failed), \
        f"{mistake_id} not named; failed: {[(r.name, r.message, r.misconceptions) for r in failed]}"
    assert all(r.kind in ("failed", "error") for r in failed), [(r.name, r.kind, r.message) for r in failed]


# ---------------------------------------------------------------------------
# the sample submissions (hand-written student code), graded in this process
# ---------------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "cnn"
SAMPLE_MISTAKES = {
    "alice": set(),
    "bob.py": {"zero-grad-missing", "evaluate-without-eval-mode", "training-shuffle-off"},
    "carol": {"flatten-size-hard-coded", "early-stopping-keeps-last", "checkpoint-optimizer-not-restored"},
    "erin": set(),
}


def _sample_runner(name, tmp_path):
    staged = stage(SAMPLES / name, list(ASSIGNMENT.modules), tmp_path)
    assert staged.fatal is None and sorted(staged.code.files) == sorted(ASSIGNMENT.modules), staged.notes
    files = {module: staged.code.workdir / rel for module, rel in staged.code.files.items()}
    return TrustedRunner(ASSIGNMENT.package, files, ASSIGNMENT.homes, ASSIGNMENT.probes_source())


@pytest.mark.parametrize("name", sorted(SAMPLE_MISTAKES))
def test_sample_submissions_get_their_verdicts(name, catalogue, tmp_path):
    results = _grade_in_process(_sample_runner(name, tmp_path), catalogue)
    named = {m for r in results for m in r.misconceptions}
    assert named == SAMPLE_MISTAKES[name], [(r.name, r.message) for r in results if not r.passed]
    failed = [r for r in results if not r.passed]
    if name == "alice":
        assert not failed, [(r.name, r.message) for r in failed]
    if name == "erin":
        passed = {r.cls for r in results if r.passed}
        assert passed == {"conv_output_size", "CNN"}
        assert all("NotImplementedError" in r.message for r in failed), [r.message for r in failed]
    for mistake in SAMPLE_MISTAKES[name]:
        cls = catalogue.get(mistake).cls
        assert any(mistake in r.misconceptions and r.cls == cls for r in failed), mistake


# ---------------------------------------------------------------------------
# the accuracy check: the worker never sees the test labels; the harness scores
# ---------------------------------------------------------------------------

class _Spy:
    """A student runner that records what it was sent and can spoil the predictions."""

    import_errors: dict = {}

    def __init__(self, inner, spoil: bool = False):
        self.inner, self.spoil, self.sent = inner, spoil, []

    def run(self, probe, kwargs=None, timeout=None, seed=0):
        self.sent.append((probe, kwargs, timeout))
        answer = self.inner.run(probe, kwargs, timeout=timeout, seed=seed)
        if self.spoil:
            answer["predictions"] = np.zeros_like(answer["predictions"])
        return answer

    def close(self):
        pass


def _digits_session(student):
    quick = dataclasses.replace(ASSIGNMENT, thresholds=copy.deepcopy(ASSIGNMENT.thresholds))
    quick.thresholds["digits"]["cpu"]["epochs"] = 2
    quick.thresholds["digits"]["accuracy"] = 0.5
    files = [ASSIGNMENT.checks_dir / "test_public_training_digits.py"]
    quick.check_files = lambda public_only=False: files
    return GradingSession(quick, student, reference_for(ASSIGNMENT))


def test_accuracy_check_trains_in_the_worker_and_scores_in_the_harness():
    data = datasets.load_images("digits", seed=0, test_fraction=ASSIGNMENT.thresholds["digits"]["test_fraction"])
    spy = _Spy(TrustedRunner(ASSIGNMENT.package, ASSIGNMENT.solution_files(), ASSIGNMENT.homes,
                             ASSIGNMENT.probes_source()))
    results, output = run_checks(_digits_session(spy))
    (result,) = results
    assert result.passed, result.message + output[-2000:]
    probe, kwargs, timeout = spy.sent[0]
    assert probe == "train_and_predict" and timeout >= 90
    assert kwargs["harness_pid"] == os.getpid()  # run here, the probe keeps to the CPU
    assert len(kwargs["test_images"]) == len(data.y_test)
    for name, value in kwargs.items():  # no argument carries the test labels
        assert not (isinstance(value, np.ndarray) and value.shape == data.y_test.shape
                    and np.array_equal(value, data.y_test)), name
    artifacts = result.artifacts
    assert artifacts["device"] == "cpu" and artifacts["epochs_allowed"] == 2 and artifacts["epochs_run"] == 2
    assert 0.5 <= artifacts["accuracy"] <= 1 and artifacts["threshold"] == 0.5 and artifacts["seconds"] > 0
    assert len(artifacts["training"]["val_loss"]) == 2 and artifacts["test_images"] == 360
    assert len(artifacts["training"]["metric"]) == 2 and artifacts["training"]["final"] == artifacts["accuracy"]


def test_accuracy_below_threshold_fails_with_the_figures():
    spy = _Spy(TrustedRunner(ASSIGNMENT.package, ASSIGNMENT.solution_files(), ASSIGNMENT.homes,
                             ASSIGNMENT.probes_source()), spoil=True)
    (result,) = run_checks(_digits_session(spy))[0]
    assert not result.passed and result.kind == "failed"
    assert "below 0.500" in result.message and "360 held-out images" in result.message
    assert "on cpu" in result.message and result.artifacts["accuracy"] < 0.2


# ---------------------------------------------------------------------------
# end to end, through the sandbox (slow)
# ---------------------------------------------------------------------------

def test_reference_full_marks_and_skeleton_nothing(tmp_path):
    started = time.perf_counter()
    results = grade(ASSIGNMENT, ASSIGNMENT.solution_dir)
    seconds = time.perf_counter() - started
    failed = [f"{t['name']}: {t['output']}" for t in results["tests"] if t["status"] != "passed"]
    assert not failed and results["score"] == results["extra_data"]["max_score"]
    assert seconds < 120, f"grading the reference took {seconds:.0f} s"
    mnist = next(c for c in results["extra_data"]["checks"] if c["artifacts"].get("dataset", "").startswith("MNIST"))
    assert mnist["artifacts"]["accuracy"] >= 0.93 and mnist["artifacts"]["device"] in ("cpu", "cuda")
    bundle = release(ASSIGNMENT, tmp_path / "bundle")
    skeleton = grade(ASSIGNMENT, bundle / "cnn", diagnose=False)
    assert skeleton["score"] <= 0.05 * skeleton["extra_data"]["max_score"]


def test_samples_through_the_sandbox():
    alice = grade(ASSIGNMENT, SAMPLES / "alice")
    assert alice["score"] == alice["extra_data"]["max_score"], [t["output"] for t in alice["tests"] if t["score"] == 0]
    carol = grade(ASSIGNMENT, SAMPLES / "carol")
    digits = next(t for t in carol["tests"] if t["name"].startswith("CNN on digits"))
    assert digits["status"] == "failed" and "Likely cause" in digits["output"] and "CNN.__init__" in digits["output"]
    assert {m["id"] for m in carol["extra_data"]["misconceptions"]} == SAMPLE_MISTAKES["carol"]


def test_bob_missing_zero_grad_costs_only_the_training_step_checks():
    """One mistake, charged once: the accuracy checks re-run with the grader's train_epoch (fit calls it,
    [depends]), make_loaders and evaluate, whose own checks failed, and pass; bob pays in their own checks."""
    bob = grade(ASSIGNMENT, SAMPLES / "bob.py")
    failed = {t["name"].split(":")[0] for t in bob["tests"] if t["status"] == "failed"}
    assert failed == {"train_epoch", "evaluate", "make_loaders"}, failed
    zero_grad = next(m for m in bob["extra_data"]["misconceptions"] if m["id"] == "zero-grad-missing")
    assert all(name.startswith("train_epoch:") for name in zero_grad["checks"])
    accuracy = [t for t in bob["tests"] if t["name"].startswith("CNN on")]
    assert accuracy and all(t["status"] == "passed" and "passes once" in t["output"] for t in accuracy)
    lost = bob["extra_data"]["max_score"] - bob["score"]
    assert lost == sum(m["points_lost"] for m in bob["extra_data"]["misconceptions"])
