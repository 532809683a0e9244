"""Benchmark class-scale grading: what one submission costs, and how a batch scales, for every assignment.

    python benchmarks/batch.py                          # the four assignments, 6 submissions each, 1 and 2 workers
    python benchmarks/batch.py --assignment cnn         # one assignment
    python benchmarks/batch.py --assignment numpy_nn --size 200 --detail --dask   # the full study of one

Figures:
- per assignment and worker count: wall time, submissions/minute, and the overhead per submission, i.e. the
  worker time not spent in the checks themselves: (wall x workers - sum of the checks' own seconds from
  extra_data.timings) / N;
- with ``--detail``: ``grade()`` on the reference, cold (first, loads the reference) and warm, and the cost
  floor: the same checks run in this process on the reference, no sandbox (a GradingSession whose student is a
  TrustedRunner), per submission; "x floor" is the worker time per submission divided by the floor;
- with ``--dask``: the same batch on a Dask LocalCluster.

The class mixes correct submissions (half: the reference, and the samples/NAME submissions named
``correct*``), the mutants of the assignment's mistakes.toml (written with Catalogue.write_mutant) and the other
samples, and one in ten that does not parse. Module submissions alternate between folders and zips of the
package, notebook submissions between the ``.ipynb`` itself and a zip holding it. Everything is written to a
temporary folder, removed at the end (``--keep DIR`` keeps the batch folders there).
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


def is_notebook(assignment: Assignment) -> bool:
    return any(assignment.solution_dir.glob("*.ipynb"))


def mutants(assignment: Assignment, into: Path) -> list[Path]:
    """One submission per catalogued mistake (or per fallback mistake when there is no catalogue): the package
    folder of a module assignment, the notebook file of a notebook assignment."""
    catalogue = Catalogue(assignment)
    found = []
    for mistake in list(catalogue) or FALLBACK_MISTAKES:
        try:
            folder = catalogue.write_mutant(mistake, into / mistake.id / assignment.package)
        except AssignmentError:  # a fallback whose line the reference no longer has
            continue
        notebooks = sorted(folder.glob("*.ipynb"))
        found.append(notebooks[0] if notebooks else folder)
    return found


def samples(assignment: Assignment) -> tuple[list[Path], list[Path]]:
    """(correct, wrong) submissions of samples/NAME (each a .ipynb, a .py or a folder); ([], []) when none."""
    folder = Path(__file__).resolve().parents[1] / "samples" / assignment.name
    found = sorted(p for p in folder.glob("*") if p.is_dir() or p.suffix in (".ipynb", ".py")) if folder.is_dir() \
        else []
    return [p for p in found if p.name.startswith("correct")], [p for p in found if not p.name.startswith("correct")]


def reference_submission(assignment: Assignment) -> Path:
    notebooks = sorted(assignment.solution_dir.glob("*.ipynb"))
    return notebooks[0] if notebooks else assignment.solution_dir


def write_submission(source: Path, target: Path, package: str, as_zip: bool) -> None:
    """``source`` (a notebook, a .py or a package folder) as the submission ``target`` (no suffix), or its zip."""
    if as_zip:
        with zipfile.ZipFile(target.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as archive:
            files = [source] if source.is_file() else sorted(p for p in source.rglob("*")
                                                               if p.is_file() and "__pycache__" not in p.parts)
            for path in files:
                inside = path.name if source.is_file() else path.relative_to(source).as_posix()
                archive.write(path, f"{package}/{inside}")
    elif source.is_file():
        shutil.copyfile(source, target.with_suffix(source.suffix))
    else:
        shutil.copytree(source, target / package, ignore=shutil.ignore_patterns("__pycache__"))


def make_class(assignment: Assignment, size: int, into: Path) -> dict[str, int]:
    """Write ``size`` submissions into ``into``; returns how many of each kind."""
    into.mkdir(parents=True)
    good_samples, bad_samples = samples(assignment)
    correct = [reference_submission(assignment), *good_samples]
    wrong = mutants(assignment, into.parent / "mutants") + bad_samples
    notebook = is_notebook(assignment)
    counts = {"correct": 0, "wrong": 0, "does not parse": 0}
    for index in range(size):
        name = into / f"s{index:04d}"
        if index % 10 == 9:
            counts["does not parse"] += 1
            if notebook:
                name.with_suffix(".ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = (',
                                                      encoding="utf-8")
            else:
                name.with_suffix(".py").write_text("class DenseLayer(:\n", encoding="utf-8")
            continue
        kind, pool = ("correct", correct) if index % 2 == 0 or not wrong else ("wrong", wrong)
        counts[kind] += 1
        write_submission(pool[(index // 2) % len(pool)], name, assignment.package, as_zip=index % 4 >= 2)
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


def time_batches(assignment: Assignment, work: Path, worker_counts: list[int], floor: float) -> list[list[str]]:
    from grader.batch.run import grade_batch

    rows = []
    for workers in worker_counts:
        report = grade_batch(assignment, work / "class", work / f"local-{workers}", workers=workers)
        rows.append([assignment.name, *batch_row(f"local x{workers}", workers, report, floor)])
    return rows


def time_dask(assignment: Assignment, work: Path, workers: int, floor: float, console) -> list[str]:
    from distributed import LocalCluster

    from grader.batch.run import grade_batch

    started = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        startup = time.perf_counter() - started
        report = grade_batch(assignment, work / "class", work / "dask", scheduler=cluster.scheduler_address)
    console.print(f"(Dask LocalCluster start-up: {startup:.1f} s, not counted in its wall time)")
    return [assignment.name, *batch_row(f"dask x{workers}", workers, report, floor)]


def benchmark(assignment: Assignment, args, console) -> list[list[str]]:
    """The table rows of one assignment (its class written, graded and removed here)."""
    work = Path(tempfile.mkdtemp(prefix=f"nngrade-bench-{assignment.name}-"))
    try:
        counts = make_class(assignment, args.size, work / "class")
        console.print(f"{assignment.name}: class of {args.size}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        floor = 0.0
        if args.detail:
            cold, warm = single_submission(assignment)
            floor = floor_seconds(assignment)
            console.print(f"  single submission (grade() in this process): cold {cold:.2f} s, warm {warm:.2f} s")
            console.print(f"  cost floor (checks in-process on the reference, no sandbox): {floor:.3f} s per "
                          f"submission; warm single submission = {warm / floor:.1f} x floor")
        rows = time_batches(assignment, work, [int(w) for w in args.workers.split(",")], floor)
        if args.dask:
            rows.append(time_dask(assignment, work, args.dask_workers, floor, console))
        if args.keep:
            shutil.copytree(work, args.keep / assignment.name, dirs_exist_ok=True)
            console.print(f"  kept in {args.keep / assignment.name}")
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", action="append",
                        help="an assignment to time (repeatable; default: every assignment with a reference)")
    parser.add_argument("--size", type=int, default=6, help="submissions in each generated class (default 6)")
    parser.add_argument("--workers", default="1,2", help="local worker counts to time, comma-separated")
    parser.add_argument("--detail", action="store_true", help="also time one submission and the cost floor")
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster")
    parser.add_argument("--dask-workers", type=int, default=2, help="workers of the Dask LocalCluster")
    parser.add_argument("--keep", type=Path, help="keep the classes and the batch folders here")
    args = parser.parse_args(argv)

    console = Console(highlight=False, width=max(100, Console().width))
    names = args.assignment or [n for n in assignments.available() if assignments.find_assignment(n).has_reference]
    started = time.perf_counter()
    table = Table("assignment", "executor", "N", "wall s", "subs/min", "overhead s/sub", "checks s/sub", "x floor")
    for name in names:
        for row in benchmark(assignments.find_assignment(name), args, console):
            table.add_row(*row)
    console.print(table)
    console.print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
