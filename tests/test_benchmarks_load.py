"""The benchmarks are not run by the suite (they print figures), but they must keep loading as the code moves."""
import runpy
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("path", BENCHMARKS, ids=[p.name for p in BENCHMARKS])
def test_benchmark_loads(path):
    namespace = runpy.run_path(str(path), run_name="benchmark_under_test")
    assert callable(namespace["main"])
