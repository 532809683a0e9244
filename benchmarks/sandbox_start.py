"""Benchmark the sandbox's start-up, per isolation level: the fork server's start, and a worker's.

    python benchmarks/sandbox_start.py                          # every level this machine offers, numpy
    python benchmarks/sandbox_start.py --levels userns --torch  # also with torch preloaded

Figures (median of ``--repeat``): the fork server's start (first ``server_for``, imports included) and the
time to a fresh worker's first probe answer (fork, namespaces, limits, importing a one-line module).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's grader

from grader.core.types import Limits, StagedCode  # noqa: E402
from grader.sandbox import forkserver, isolation  # noqa: E402
from grader.sandbox.client import SandboxClient  # noqa: E402

PROBES = "def constant(api):\n    return api.VALUE\n"


def measure(level: str, preload: tuple[str, ...], repeat: int) -> tuple[float, float, str]:
    """(fork server start, median worker start, the level reached) in seconds."""
    os.environ["NNGRADE_SANDBOX"] = level
    forkserver.close_all()
    started = time.perf_counter()
    server = forkserver.server_for(preload, [])
    server_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "work"
        work.mkdir()
        (work / "layers.py").write_text("VALUE = 42\n", encoding="utf-8")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            with SandboxClient(StagedCode(work, {"layers": "layers.py"}), "pkg", {"VALUE": "layers"}, PROBES,
                               Limits(probe_seconds=30, import_seconds=60), output_dir=Path(folder),
                               preload=preload) as worker:
                assert worker.run("constant") == 42
                times.append(time.perf_counter() - started)
    forkserver.close_all()
    return server_seconds, statistics.median(times), server.level if server else "spawn"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default=",".join(isolation.candidate_levels()))
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--torch", action="store_true", help="also measure with torch preloaded")
    args = parser.parse_args(argv)
    preloads = [("numpy",)] + ([("numpy", "torch")] if args.torch else [])
    print(f"{'level':<14} {'preload':<14} {'server start':>12} {'worker start':>12}")
    for preload in preloads:
        for level in args.levels.split(","):
            try:
                server, worker, reached = measure(level, preload, args.repeat)
            except (isolation.RequestedLevelUnavailable, RuntimeError) as exc:
                print(f"{level:<14} {'+'.join(preload):<14} unavailable: {exc}")
                continue
            print(f"{reached:<14} {'+'.join(preload):<14} {server:>11.3f}s {worker:>11.3f}s")


if __name__ == "__main__":
    main()
