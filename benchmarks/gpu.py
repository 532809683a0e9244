"""Prove the GPU path of the cnn assignment on a machine with an NVIDIA GPU, in under 5 minutes.

    python benchmarks/gpu.py            # from the source tree; installs nothing

Grades the cnn reference and the sample ``samples/cnn/alice`` (public and hidden checks) as final grading
does, and prints, per submission: the score, the seconds it took, and for each training check the device the
worker trained on, the GPU's name, the epochs run of those allowed and the test accuracy. Then it proves that
the harness (this process) never held a CUDA context: CUDA is initialised only in the sandboxed workers, so
``torch.cuda.is_initialized()`` stays false here and nvidia-smi never lists this process while grading.

On a machine without a GPU it says "no GPU" and exits 0. Exit status 1: the GPU was not used, a submission
lost points it should not have, or the harness touched CUDA.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's grader, also in spawned workers

from grader.core import assignment as assignments  # noqa: E402
from grader.core.assignment import gpu_visible  # noqa: E402

BUDGET_SECONDS = 300
#: Whether each submission must earn full marks (alice, a correct solution written differently, trains with
#: her own loop and sits near the digits threshold on some seeds: reported, not required).
SUBMISSIONS = {"reference": True, "alice": False}


class GpuProcessWatch:
    """Samples nvidia-smi's list of processes holding a CUDA context while grading runs (a background thread)."""

    def __init__(self, interval: float = 1.0):
        self.interval, self.seen, self.available = interval, {}, shutil.which("nvidia-smi") is not None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        try:
            out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,process_name,used_memory",
                                  "--format=csv,noheader"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return
        for line in out.splitlines():
            fields = [f.strip() for f in line.split(",")]
            if fields and fields[0].isdigit():
                self.seen[int(fields[0])] = ", ".join(fields[1:])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)


def describe_gpu() -> str:
    """The GPU as nvidia-smi names it (asked of the driver, not of CUDA in this process)."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"(nvidia-smi failed: {exc})"
    return out or "(nvidia-smi printed nothing)"


def training_checks(results: dict) -> list[tuple[dict, dict]]:
    """(test, artifacts) of the checks that trained a network: their artifacts (in extra_data.checks) name the
    device and the epochs."""
    artifacts = {c["number"]: c.get("artifacts") for c in results["extra_data"].get("checks", [])}
    return [(t, artifacts[t["number"]]) for t in results["tests"]
            if isinstance(artifacts.get(t["number"]), dict) and "device" in artifacts[t["number"]]]


def grade_one(assignment, submission: Path) -> tuple[dict, float]:
    from grader.engine.grade import grade  # needs the project's dependencies (pip install -e . in the checkout)

    started = time.perf_counter()
    results = grade(assignment, submission, allow_weak_sandbox=True)
    return results, time.perf_counter() - started


def report(label: str, results: dict, seconds: float, full_marks_expected: bool) -> list[str]:
    """Print one submission's figures; returns what went wrong (empty when the GPU path is proven)."""
    problems = []
    score, top = results["score"], results["extra_data"]["max_score"]
    print(f"\n{label}: {score:g} / {top:g} in {seconds:.1f} s "
          f"(sandbox {results['extra_data'].get('sandbox', {}).get('level', '?')})")
    trained = training_checks(results)
    for test, a in trained:
        print(f"  {test['name'][:70]}\n    device {a.get('device')} {a.get('gpu') or ''}, epochs "
              f"{a.get('epochs_run')} of {a.get('epochs_allowed')}, accuracy {a.get('accuracy')} "
              f"(threshold {a.get('threshold')}), {a.get('seconds')} s, {test['status']}")
        if a.get("device") != "cuda":
            problems.append(f"{label}: {test['name']} trained on {a.get('device')}, not cuda")
    if not trained:
        problems.append(f"{label}: no training check reported its device")
    if full_marks_expected and score < top:
        lost = [f"{t['name']}: {t['output'][:200]}" for t in results["tests"] if t["status"] != "passed"]
        problems.append(f"{label}: {score:g} / {top:g}; lost points in " + "; ".join(lost))
    return problems


def harness_problems(watch: GpuProcessWatch) -> list[str]:
    """Whether this process (the harness) held a CUDA context at any time."""
    problems = []
    torch = sys.modules.get("torch")
    initialised = bool(torch is not None and torch.cuda.is_initialized())
    print(f"\nharness pid {os.getpid()}: torch imported here: {torch is not None}; "
          f"torch.cuda.is_initialized(): {initialised}")
    if initialised:
        problems.append("the harness initialised CUDA (it must stay in the workers)")
    if not watch.available:
        print("nvidia-smi not found: no process list to compare")
    elif watch.seen:
        listed = ", ".join(f"pid {pid} ({what})" for pid, what in sorted(watch.seen.items()))
        print(f"processes nvidia-smi listed with a CUDA context while grading: {listed}")
        if os.getpid() in watch.seen:
            problems.append(f"nvidia-smi listed the harness (pid {os.getpid()}) as holding a CUDA context")
    else:
        print("nvidia-smi listed no compute process while grading (a container may hide the workers' pids)")
    return problems


def main(argv=None) -> int:
    if not gpu_visible():
        print("no GPU: no NVIDIA device (/dev/nvidia0…) is visible here (or CUDA_VISIBLE_DEVICES hides it); "
              "nothing to prove on this machine")
        return 0
    started = time.perf_counter()
    print(f"GPU: {describe_gpu()}")
    assignment = assignments.find_assignment("cnn")
    submissions = {"reference": assignment.solution_dir, "alice": ROOT / "samples" / "cnn" / "alice"}
    problems, timings = [], []
    with GpuProcessWatch() as watch:
        for label, path in submissions.items():
            if time.perf_counter() - started > BUDGET_SECONDS / 2 and timings:
                print(f"\n{label}: skipped, to stay within {BUDGET_SECONDS} s")
                continue
            results, seconds = grade_one(assignment, path)
            timings.append(seconds)
            problems += report(label, results, seconds, SUBMISSIONS[label])
    problems += harness_problems(watch)
    total = time.perf_counter() - started
    print(f"\n{len(timings)} submission(s), {sum(timings) / len(timings):.1f} s per submission on average; "
          f"total {total:.0f} s")
    if total > BUDGET_SECONDS:
        problems.append(f"took {total:.0f} s, over the {BUDGET_SECONDS} s budget")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("GPU path proven" if not problems else "GPU path NOT proven")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
