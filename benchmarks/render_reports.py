"""How long rendering a class's reports takes: 100 report.md + report.html (and with instructor-report.html),
then gradebook.csv, misconceptions.csv and summary.html.

Each sample report has 8 checks (4 failing, one with a misconception) and one training check whose artifacts
draw 4 images (loss and metric curves, a confusion matrix, decision regions), all different per student, so
the figure cache does not help. By default only checks the student failed get figures: the training check
fails for half the students. The same reports with ``all_plots`` (``nngrade report DIR --plots all``) are
timed on another N students (fresh images, not the cache's). Run from the repository root:
``python benchmarks/render_reports.py [N]``.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
from report_samples import sample_results  # noqa: E402

from grader.checks.recording import training_record  # noqa: E402
from grader.core.schema import write_json_atomic  # noqa: E402
from grader.feedback import plots  # noqa: E402
from grader.feedback.check_figures import planned_figures  # noqa: E402
from grader.feedback.files import write_report_files  # noqa: E402
from grader.feedback.summary import write_class_outputs  # noqa: E402


def _diagnostic_figures(count: int) -> float:
    """Seconds to draw ``count`` training figures (loss and metric against the reference and the threshold)
    and ``count`` analytic-vs-numeric gradient figures, each different (the cache does not help)."""
    rng = np.random.default_rng(0)
    plans = []
    for i in range(count):
        loss = (1.0 / np.arange(1, 21) + 0.05 * rng.random(20)).tolist()
        record = training_record(f"fit {i}", loss, 0.9, final=0.5 + 0.4 * rng.random(),
                                 metric=np.minimum(0.5 + 0.03 * np.arange(20), 1).tolist())
        record["reference"] = {"loss": loss[::-1], "metric": record["metric"], "final": 0.95}
        numeric = rng.normal(size=12)
        gradient = {"what": "w", "analytic": (2 * numeric).tolist(), "numeric": numeric.tolist(), "tolerance": 1e-4}
        plans += planned_figures({"training": record, "gradient": gradient}, failed=True)
    started = time.perf_counter()
    for draw in plans:
        draw()
    return time.perf_counter() - started


def main(count: int = 100) -> None:
    samples = [sample_results(seed=i, fail_dense=i % 2 == 0, timeout=i % 5 == 0, seconds=2 + i % 7)
               for i in range(count)]
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-") as tmp:
        batch = Path(tmp)
        for i, results in enumerate(samples):
            write_json_atomic(batch / f"student{i:04d}" / "results.json", results)
        started = time.perf_counter()
        for i, results in enumerate(samples):
            write_report_files(results, batch / f"student{i:04d}")
        reports = time.perf_counter() - started
        size = sum(p.stat().st_size for p in batch.glob("*/report.html")) / count
        others = [sample_results(seed=count + i, fail_dense=i % 2 == 0, timeout=i % 5 == 0, seconds=2 + i % 7)
                  for i in range(count)]
        started = time.perf_counter()
        for i, results in enumerate(others):
            write_report_files(results, batch / "all-plots" / f"student{i:04d}", all_plots=True)
        all_plots = time.perf_counter() - started
        shutil.rmtree(batch / "all-plots")
        # What a batch writes per student: the student's reports and instructor-report.html, which the summary
        # links to (from empty caches again; the instructor report's figures are those report.html just drew).
        for value in vars(plots).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()
        started = time.perf_counter()
        for i, results in enumerate(samples):
            write_report_files(results, batch / f"student{i:04d}", instructor=True)
        with_instructor = time.perf_counter() - started
        started = time.perf_counter()
        for i, results in enumerate(samples):
            for check in results["extra_data"]["checks"]:
                check["artifacts"] = {}
            write_report_files(results, batch / f"student{i:04d}")
        without_images = time.perf_counter() - started
        started = time.perf_counter()
        write_class_outputs(batch)
        summary = time.perf_counter() - started
    print(f"{count} reports (report.md + report.html, 4 images in every other one, where the training check "
          f"failed): {reports:.1f} s ({1000 * reports / count:.0f} ms per report, {size / 1024:.0f} KiB per "
          "report.html)")
    print(f"{count} reports with --plots all (4 images each): {all_plots:.1f} s "
          f"({1000 * all_plots / count:.0f} ms per report)")
    print(f"the same {count} reports and instructor-report.html (what a batch writes): {with_instructor:.1f} s "
          f"({1000 * with_instructor / count:.0f} ms per student)")
    print(f"the same {count} reports without images: {without_images:.2f} s")
    diagnostic = _diagnostic_figures(count)
    print(f"{count} training figures + {count} gradient figures, all different: {diagnostic:.1f} s "
          f"({1000 * diagnostic / (2 * count):.0f} ms per figure)")
    print(f"gradebook.csv + summary.html for {count} students: {summary:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
