"""Benchmark: how long a submission that hangs or kills its worker keeps one grading busy.

    python benchmarks/hangs.py                 # numpy_nn: samples/numpy_nn/alice and broken copies of it
    python benchmarks/hangs.py --only loop     # one variant

Each variant is alice with one edit in ``Adam.update`` (or at import): an infinite loop, a sleep, a loop that
ignores SIGTERM/SIGINT, ``os._exit(0)``, a kill of its own process group; and an infinite loop at import.
Figures: wall time of ``grade()`` (final grading, fresh seed), the score, and how many checks failed by kind.
"""
from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's grader

from grader.core.assignment import find_assignment  # noqa: E402
from grader.engine.grade import grade  # noqa: E402

UPDATE = "    def update(self, w, grad_loss_w):\n"
VARIANTS = {
    "correct": None,
    "loop": UPDATE + "        while True:\n            pass\n",
    "sleep": UPDATE + "        import time\n        time.sleep(10_000)\n",
    "ignore-signals": UPDATE + ("        import signal\n        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):\n"
                                "            signal.signal(s, signal.SIG_IGN)\n        while True:\n            pass\n"),
    "os-exit": UPDATE + "        import os\n        os._exit(0)\n",
    "kill-group": UPDATE + "        import os, signal\n        os.killpg(0, signal.SIGKILL)\n",
    "import-loop": "IMPORT",
}


def variant_folder(root: Path, name: str) -> Path:
    folder = root / name
    shutil.copytree(Path(__file__).resolve().parents[1] / "samples" / "numpy_nn" / "alice", folder)
    edit = VARIANTS[name]
    optimizer = folder / "optimizer.py"
    text = optimizer.read_text(encoding="utf-8")
    if edit == "IMPORT":
        text += "\nwhile True:\n    pass\n"
    elif edit is not None:
        head, adam = text.split("class Adam", 1)
        assert adam.count(UPDATE) == 1, "alice's optimizer.py changed: adapt the benchmark"
        text = head + "class Adam" + adam.replace(UPDATE, edit)
    optimizer.write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(VARIANTS), action="append")
    args = parser.parse_args()
    assignment = find_assignment("numpy_nn")
    grade(assignment, variant_folder(Path(tempfile.mkdtemp()), "correct"))   # warm: reference loaded, fork server up
    with tempfile.TemporaryDirectory(prefix="nngrade-hangs-") as tmp:
        print(f"{'variant':16} {'seconds':>8} {'score':>9}  failed checks by kind")
        for name in args.only or VARIANTS:
            started = time.perf_counter()
            results = grade(assignment, variant_folder(Path(tmp), name))
            seconds = time.perf_counter() - started
            kinds = collections.Counter(c["kind"] for c in results["extra_data"]["checks"] if c["kind"])
            print(f"{name:16} {seconds:8.1f} {results['score']:5g}/{results['extra_data']['max_score']:g}  "
                  f"{dict(kinds)}", flush=True)


if __name__ == "__main__":
    main()
