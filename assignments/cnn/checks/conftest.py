"""The cnn checks: ``student``, ``reference``, ``thresholds``, ``artifacts`` come from the grader's plugin.

``accuracy_check`` trains the student's CNN with the student's own loop in the
sandbox on a data set of :mod:`grader.checks.datasets`; the worker gets the training
images and labels and the test *images*; the test labels stay here, and the
accuracy is computed here.
"""
import os

import numpy as np
import pytest
import torch

from grader.checks import ProbeFailure, fail, fresh_seed, training_record
from grader.checks.causes import crash_cause, evidence_from_checks, failing_parts
from grader.checks.datasets import DatasetError, load_images
from grader.engine.pytest_plugin import *  # noqa: F401,F403

#: The parts the accuracy checks run; a failure in one of them is the likely cause of a low accuracy.
PIPELINE = ("CNN", "prepare_images", "make_loaders", "get_device", "train_epoch", "evaluate", "predict", "fit",
            "regularization_penalty")
#: Seconds added to the training budget for the worker to start and import torch.
STARTUP_SECONDS = 30

# The reference and the mutants run their (tiny) probes in this process. Like the
# workers, they run single-threaded: on a busy machine a thread pool makes each
# small backward pass some 20 times slower, and several graders may share the cores.
torch.set_num_threads(1)


def _parts_run(student, assignment) -> list[str]:
    """The pipeline's parts this check ran: those its probe looked up, then what they call ([depends])."""
    depends = assignment.config.get("depends", {})
    reached = [p for p in student.parts_used if p in PIPELINE] or list(PIPELINE)
    for part in reached:   # grows while it is walked
        reached += [d for d in depends.get(part, []) if d not in reached]
    return reached


def _likely_cause(checks_so_far, parts_run: list[str], error: dict | None = None) -> str:
    """Where a crash's frames point (:func:`crash_cause`), else the parts the check ran whose own checks
    failed, costliest first (or '')."""
    crash = crash_cause(error, evidence_from_checks(checks_so_far)) if error else ""
    if crash:
        return "\n" + crash
    failing = failing_parts(checks_so_far, parts_run)
    return f"\nLikely cause — parts this check runs whose own checks fail:\n{failing}" if failing else ""


@pytest.fixture
def accuracy_check(student, thresholds, assignment, artifacts, checks_so_far):
    """``accuracy_check("mnist")``: train, predict, score here; fills the check's artifacts."""

    def run(dataset: str) -> None:
        recipe = thresholds[dataset]
        try:
            data = load_images(dataset, seed=fresh_seed(0), test_fraction=recipe["test_fraction"], paths=assignment.config.get("data"),
                        base=assignment.root)
        except DatasetError as exc:
            raise RuntimeError(f"the grader cannot load the {dataset} data: {exc}") from None
        x_train, y_train, x_val, y_val = data.validation_split(recipe["validation_fraction"], seed=fresh_seed(0))
        channels, height, _ = data.image_shape
        model = {"in_channels": channels, "image_size": height, "n_classes": data.n_classes, **recipe["model"]}
        budgets = {"cpu": dict(recipe["cpu"]), "gpu": dict(recipe["gpu"])}
        timeout = max(b["seconds"] for b in budgets.values()) + STARTUP_SECONDS
        arguments = {
            "train_images": x_train, "train_labels": y_train, "val_images": x_val, "val_labels": y_val,
            "test_images": data.x_test, "max_value": data.max_value, "model": model,
            "batch_size": recipe["batch_size"], "learning_rate": recipe["learning_rate"],
            "patience": recipe["patience"], "budgets": budgets, "seed": fresh_seed(0), "harness_pid": os.getpid()}
        try:
            answer = student.run("train_and_predict", arguments, timeout=timeout)
        except ProbeFailure as failure:
            if failure.kind == "import":   # the message names the file that failed to import: that is the cause
                raise
            cause = _likely_cause(checks_so_far, _parts_run(student, assignment), failure.error)
            raise ProbeFailure(failure.kind, failure.message + cause, failure.error) from None
        predictions = np.asarray(answer["predictions"])
        threshold = float(recipe["accuracy"])
        history = answer.get("history", {})
        artifacts.update({"dataset": data.source, "test_images": int(len(data.y_test)), "threshold": threshold,
                          "device": answer["device"], "gpu": answer["gpu"], "epochs_allowed": answer["epochs_allowed"],
                          "epochs_run": len(history.get("val_loss", [])), "seconds": round(float(answer["seconds"]), 2),
                          "training": training_record(f"your CNN on {data.source}", history.get("train_loss", []),
                                                      threshold, metric=history.get("val_accuracy"),
                                                      metric_name="validation accuracy",
                                                      val_loss=history.get("val_loss"))})
        if predictions.shape != data.y_test.shape:
            fail(f"predict returned {predictions.size} predictions for {len(data.y_test)} test images")
        accuracy = float(np.mean(predictions == data.y_test))
        artifacts["accuracy"] = artifacts["training"]["final"] = round(accuracy, 4)
        where = (f"trained for {artifacts['epochs_run']} of at most {answer['epochs_allowed']} epochs on "
                 f"{answer['device']} in {answer['seconds']:.1f} s")
        if accuracy < threshold:
            hint = _likely_cause(checks_so_far, _parts_run(student, assignment)) or (
                "\nEvery part this check runs passed its own checks: look at the learning curves (is the loss going "
                "down?).")
            fail(f"test accuracy {accuracy:.3f} on {len(data.y_test)} held-out images is below {threshold:.3f} "
                 f"({where}){hint}")

    return run
