"""The numpy_nn checks: fixtures ``student``, ``reference``, ``thresholds``, ``artifacts`` come from the grader's plugin.

The folder is put on ``sys.path`` so check files can share ``numpy_nn_support``
(pytest runs them with ``--import-mode=importlib``, which does not do it).
"""
import sys
from pathlib import Path

from grader.engine.pytest_plugin import *  # noqa: F401,F403

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
