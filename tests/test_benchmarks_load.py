"""The benchmarks are not run by the suite (they print figures), but they must keep loading as the code moves."""
import runpy
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("path", BENCHMARKS, ids=[p.name for p in BENCHMARKS])
def test_benchmark_loads(path):
    namespace = runpy.run_path(str(path), run_name="benchmark_under_test")
    assert callable(namespace["main"])


def test_the_gpu_benchmark_says_no_gpu_and_succeeds_where_none_is_visible(capsys):
    namespace = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "gpu.py"),
                               run_name="benchmark_under_test")
    namespace["main"].__globals__["gpu_visible"] = lambda: False
    assert namespace["main"]() == 0
    assert capsys.readouterr().out.startswith("no GPU")
