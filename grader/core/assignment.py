"""An assignment: where its reference, checks, probes and rubric live.

``reference/NAME/assignment.toml`` describes it::

    title = "The numpy neural-network library"
    package = "numpy_nn"          # the package students import from
    solution = "numpy_nn"         # folder of the reference solution (regions marked)

    [modules]                     # module -> the names it defines
    layers = ["Layer", "DenseLayer", "Dropout"]

    [limits]                      # grader.core.types.Limits
    probe_seconds = 10

    [points]                      # check function -> points (overrides the marker)
    [thresholds]                  # named numbers the checks read (accuracies, epochs)

A released bundle (``assignments/NAME``) has the same file without the
solution; it carries ``checks/expected.json`` instead, the reference's
answers to the public checks, so students can self-check without the reference.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from grader.core.paths import COURSE_VARIABLE, course_root
from grader.core.types import Limits
from grader.core.visibility import VisibilityError, is_hidden_check_file


class AssignmentError(Exception):
    """The assignment cannot be found or its files are wrong (a usage error)."""


@dataclass
class Assignment:
    name: str
    root: Path
    title: str
    package: str
    modules: dict[str, list[str]]
    limits: Limits
    points: dict[str, float] = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)
    solution: str | None = None
    kind: str = "modules"
    config: dict = field(default_factory=dict)

    @property
    def checks_dir(self) -> Path:
        return self.root / "checks"

    @property
    def probes_path(self) -> Path:
        return self.checks_dir / "probes.py"

    @property
    def mistakes_path(self) -> Path:
        return self.root / "mistakes.toml"

    @property
    def expected_path(self) -> Path:
        return self.checks_dir / "expected.json"

    @property
    def has_reference(self) -> bool:
        return self.solution is not None and (self.root / self.solution).is_dir()

    @property
    def solution_dir(self) -> Path:
        if not self.has_reference:
            raise AssignmentError(f"{self.root} is a student bundle: it has no reference solution")
        return self.root / self.solution

    @property
    def homes(self) -> dict[str, str]:
        """Each public name -> the module that must define it (``DenseLayer`` -> ``layers``)."""
        return {name: module for module, names in self.modules.items() for name in names}

    @property
    def preload(self) -> list[str]:
        """Libraries the sandbox imports before the student's code (``preload = ["numpy", "torch"]``)."""
        value = self.config.get("preload", ["numpy"])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.isidentifier() for v in value):
            raise AssignmentError(f"{self.root / 'assignment.toml'}: preload must be a list of module names, "
                                  'e.g. preload = ["numpy", "torch"]')
        return value

    @property
    def packages(self) -> list[str]:
        """Installed distributions the student's code may import beyond ``preload`` (``packages = ["scikit-learn"]``).

        The sandbox shows a worker these, ``preload`` and what they require, and no other installed package.
        """
        value = self.config.get("packages", [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise AssignmentError(f"{self.root / 'assignment.toml'}: packages must be a list of installed "
                                  'distribution names, e.g. packages = ["matplotlib", "scikit-learn"]')
        return value

    def solution_files(self) -> dict[str, Path]:
        return {module: self.solution_dir / f"{module}.py" for module in self.modules}

    def probes_source(self) -> str:
        return self.probes_path.read_text(encoding="utf-8") if self.probes_path.exists() else ""

    def check_files(self, public_only: bool = False) -> list[Path]:
        """The check files in the order they run: the public ones, then the hidden ones (each sorted by name),
        so a public check has the same number in the student's self-check and in the final report."""
        files = sorted(self.checks_dir.glob("test_*.py"))
        try:
            hidden = {f: is_hidden_check_file(f) for f in files}
        except VisibilityError as exc:
            raise AssignmentError(str(exc)) from None
        public = [f for f in files if not hidden[f]]
        return public if public_only else public + [f for f in files if hidden[f]]

    @classmethod
    def from_dir(cls, root: Path, name: str | None = None) -> "Assignment":
        config_path = root / "assignment.toml"
        try:
            config = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AssignmentError(f"{config_path} not found: an assignment folder needs an assignment.toml") from None
        except tomllib.TOMLDecodeError as exc:
            raise AssignmentError(f"{config_path} is not valid TOML: {exc}") from None
        try:
            return cls(
                name=name or config.get("name") or root.name, root=root.resolve(), title=config.get("title", root.name),
                package=config["package"], modules={k: list(v) for k, v in config["modules"].items()},
                limits=Limits.from_table(limits_for_this_machine(config.get("limits"))),
                points=dict(config.get("points", {})),
                thresholds=dict(config.get("thresholds", {})), solution=config.get("solution"),
                kind=config.get("kind", "modules"), config=config)
        except KeyError as exc:
            raise AssignmentError(f"{config_path} lacks the required key {exc.args[0]!r}") from None


def gpu_visible() -> bool:
    """Whether this machine shows an NVIDIA GPU to its processes, decided without touching CUDA.

    Initialising CUDA (even ``torch.cuda.is_available()``) in the harness would
    break workers forked from it, so only the device files are looked at.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return False
    return any(Path("/dev").glob("nvidia[0-9]*"))


def limits_for_this_machine(table: dict | None) -> dict:
    """``[limits]`` with its ``[limits.gpu]`` sub-table applied when a GPU is visible (e.g. ``memory_mb = 0``)."""
    table = dict(table or {})
    gpu = table.pop("gpu", None)
    if isinstance(gpu, dict) and gpu_visible():
        table.update(gpu)
    return table


def available() -> list[str]:
    names = set()
    for folder in ("reference", "assignments"):
        base = course_root() / folder
        if base.is_dir():
            names.update(p.parent.name for p in base.glob("*/assignment.toml"))
    return sorted(names)


def find_assignment(name: str) -> Assignment:
    """``name`` is an assignment name (``numpy_nn``) or a path to an assignment folder."""
    path = Path(name)
    if (path / "assignment.toml").is_file():
        return Assignment.from_dir(path)
    # A student inside an unpacked bundle: the bundle root is this folder or one above it.
    for folder in (Path.cwd(), *Path.cwd().parents):
        config = folder / "assignment.toml"
        if config.is_file() and (folder.name == name or f'package = "{name}"' in config.read_text(encoding="utf-8")):
            return Assignment.from_dir(folder, name)
    for folder in ("reference", "assignments"):
        candidate = course_root() / folder / name
        if (candidate / "assignment.toml").is_file():
            return Assignment.from_dir(candidate, name)
    known = ", ".join(available())
    if not known:
        raise AssignmentError(f"no assignment named {name!r}: {course_root()} is not a course folder (it has no "
                              f"reference/ or assignments/); name yours with --course DIR or {COURSE_VARIABLE}")
    raise AssignmentError(f"no assignment named {name!r} in {course_root()} (available: {known})")


@dataclass
class NotebookSettings:
    """``[notebook]`` of a notebook assignment (``kind = "notebook"``); see :mod:`grader.engine.kinds`."""

    file: str
    cell_seconds: float = 30.0
    total_seconds: float = 120.0
    start_seconds: float = 30.0    # interpreter start and imports, on top of the notebook's own time
    depends: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, assignment: Assignment) -> "NotebookSettings":
        table = dict(assignment.config.get("notebook", {}))
        known = {"file", "cell_seconds", "total_seconds", "start_seconds", "depends"}
        if set(table) - known:
            raise AssignmentError(f"{assignment.root / 'assignment.toml'}: unknown key(s) in [notebook]: "
                                  f"{', '.join(sorted(set(table) - known))} (known: {', '.join(sorted(known))})")
        table.setdefault("file", f"{next(iter(assignment.modules))}.ipynb")
        return cls(**table)

    @property
    def init_seconds(self) -> float:
        """The harness's wall-clock bound on running the whole notebook (the worker's own limits come first)."""
        return self.total_seconds + self.cell_seconds + self.start_seconds
