"""Benchmark class-scale grading: what one submission costs, and how a batch scales.

    python benchmarks/batch.py                  # 200 submissions, 1 and 2 local workers, a 2-worker Dask LocalCluster
    python benchmarks/batch.py --size 10        # a quick run
    python benchmarks/batch.py --workers 1,2,4 --no-dask

Figures:
- single submission: ``grade()`` on the reference, cold (first, loads the reference) and warm;
- cost floor: the same checks run in this process on the reference, no sandbox (a GradingSession whose
  student is a TrustedRunner), per submission;
- per batch: wall time, submissions/minute, and the overhead per submission, i.e. the worker time not spent
  in the checks themselves: (wall x workers - sum of the checks' own seconds from extra_data.timings) / N;
  "x floor" is the worker time per submission divided by the floor.

The class mixes correct submissions (half), the mutants of the assignment's mistakes.toml (written with
Catalogue.write_mutant) and submissions that do not parse; folders and zips alternate. Everything is
written to a temporary folder, removed at the end (``--keep DIR`` keeps the batch folders there).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's grader, also in spawned workers

from grader.checks.mistakes import Catalogue, Mistake  # noqa: E402
from grader.core import assignment as assignments  # noqa: E402
from grader.core.assignment import Assignment, AssignmentError  # noqa: E402

#: Used only when the assignment's catalogue is empty, so the class still has realistic wrong answers.
FALLBACK_MISTAKES = [
    Mistake("bench-dense-no-bias", "DenseLayer", "bias left out", "", "",
            [{"file": "layers.py", "find": "self.output = input @ self.weights + self.biases",
              "replace": "self.output = input @ self.weights"}]),
    Mistake("bench-dense-weight-gradient-transposed", "DenseLayer", "weight gradient transposed", "", "",
            [{"file": "layers.py", "find": "weights_error = self.input.T @ output_error",
              "replace": "weights_error = (self.input.T @ output_error).T"}]),
]


def mutants(assignment: Assignment, into: Path) -> list[Path]:
    """One folder per catalogued mistake (or per fallback mistake when there is no catalogue)."""
    catalogue = Catalogue(assignment)
    folders = []
    for mistake in list(catalogue) or FALLBACK_MISTAKES:
        try:
            folders.append(catalogue.write_mutant(mistake, into / mistake.id / assignment.package))
        except AssignmentError:  # a fallback whose line the reference no longer has
            continue
    return folders


def make_class(assignment: Assignment, size: int, into: Path) -> dict[str, int]:
    """Write ``size`` submissions into ``into``; returns how many of each kind."""
    into.mkdir(parents=True)
    wrong = mutants(assignment, into.parent / "mutants")
    correct = assignment.solution_dir
    counts = {"correct": 0, "mutant": 0, "does not parse": 0}
    for index in range(size):
        if index % 2 == 0 or not wrong:
            source, kind = correct, "correct"
        elif index % 10 == 9:
            source, kind = None, "does not parse"
        else:
            source, kind = wrong[(index // 2) % len(wrong)], "mutant"
        counts[kind] += 1
        name = f"s{index:04d}"
        if source is None:
            (into / f"{name}.py").write_text("class DenseLayer(:\n", encoding="utf-8")
        elif index % 4 < 2:
            shutil.copytree(source, into / name / assignment.package, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            with zipfile.ZipFile(into / f"{name}.zip", "w") as archive:
                for path in sorted(source.glob("*.py")):
                    archive.write(path, f"{assignment.package}/{path.name}")
    return counts


def single_submission(assignment: Assignment) -> tuple[float, float]:
    from grader.engine.grade import grade

    times = []
    for _ in range(2):
        started = time.perf_counter()
        grade(assignment, assignment.solution_dir)
        times.append(time.perf_counter() - started)
    return times[0], times[1]


def floor_seconds(assignment: Assignment, repeats: int = 5) -> float:
    """The checks alone: in this process, on the reference, no sandbox, no staging, no reports."""
    from grader.checks.probing import TrustedRunner
    from grader.engine.session import GradingSession, reference_for, run_checks

    reference = reference_for(assignment)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        student = TrustedRunner(assignment.package, assignment.solution_files(), assignment.homes,
                                assignment.probes_source())
        run_checks(GradingSession(assignment, student, reference))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def batch_row(label: str, workers: int, report, floor: float) -> list[str]:
    n = len(report.graded)
    checks = sum(s["checks_seconds"] for s in report.graded.values())
    wall = report.wall_seconds
    per_submission = wall * workers / n
    return [label, str(n), f"{wall:.1f}", f"{60 * n / wall:.1f}", f"{(wall * workers - checks) / n:.2f}",
            f"{checks / n:.2f}", f"{per_submission / floor:.1f}" if floor > 0 else "-"]


def main(argv=None) -> None:
    from rich.console import Console
    from rich.table import Table

    from grader.batch.run import grade_batch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="numpy_nn")
    parser.add_argument("--size", type=int, default=200, help="submissions in the generated class (default 200)")
    parser.add_argument("--workers", default="1,2", help="local worker counts to time, comma-separated")
    parser.add_argument("--dask-workers", type=int, default=2, help="workers of the Dask LocalCluster")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster run")
    parser.add_argument("--keep", type=Path, help="keep the class and the batch folders here")
    args = parser.parse_args(argv)

    console = Console(highlight=False)
    assignment = assignments.find_assignment(args.assignment)
    work = Path(tempfile.mkdtemp(prefix="nngrade-bench-"))
    try:
        counts = make_class(assignment, args.size, work / "class")
        console.print(f"class of {args.size}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        cold, warm = single_submission(assignment)
        floor = floor_seconds(assignment)
        console.print(f"single submission (grade() in this process): cold {cold:.2f} s, warm {warm:.2f} s")
        console.print(f"cost floor (checks in-process on the reference, no sandbox): {floor:.3f} s per submission; "
                      f"warm single submission = {warm / floor:.1f} x floor")

        table = Table("executor", "N", "wall s", "subs/min", "overhead s/sub", "checks s/sub", "x floor")
        for workers in [int(w) for w in args.workers.split(",")]:
            report = grade_batch(assignment, work / "class", work / f"local-{workers}", workers=workers)
            table.add_row(*batch_row(f"local, {workers} worker(s)", workers, report, floor))
        if not args.no_dask:
            from distributed import LocalCluster

            started = time.perf_counter()
            with LocalCluster(n_workers=args.dask_workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                startup = time.perf_counter() - started
                report = grade_batch(assignment, work / "class", work / "dask", scheduler=cluster.scheduler_address)
                table.add_row(*batch_row(f"dask LocalCluster, {args.dask_workers} worker(s)", args.dask_workers,
                                         report, floor))
            console.print(f"(Dask LocalCluster start-up: {startup:.1f} s, not counted in its wall time)")
        console.print(table)
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
            console.print(f"kept in {args.keep}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
