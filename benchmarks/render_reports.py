"""How long rendering a class's reports takes: 100 report.md + report.html (and with instructor-report.html),
then gradebook.csv, misconceptions.csv and summary.html.

Each sample report has 8 checks (4 failing, one with a misconception) and one training check whose artifacts
draw 4 images (loss and metric curves, a confusion matrix, decision regions), all different per student, so
the figure cache does not help. Run from the repository root: ``python benchmarks/render_reports.py [N]``.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from report_samples import sample_results  # noqa: E402

from grader.core.schema import write_json_atomic  # noqa: E402
from grader.feedback import plots  # noqa: E402
from grader.feedback.files import write_report_files  # noqa: E402
from grader.feedback.summary import write_class_outputs  # noqa: E402


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
    print(f"{count} reports (report.md + report.html, 4 images each): {reports:.1f} s "
          f"({1000 * reports / count:.0f} ms per report, {size / 1024:.0f} KiB per report.html)")
    print(f"the same {count} reports and instructor-report.html (what a batch writes): {with_instructor:.1f} s "
          f"({1000 * with_instructor / count:.0f} ms per student)")
    print(f"the same {count} reports without images: {without_images:.2f} s")
    print(f"gradebook.csv + summary.html for {count} students: {summary:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
