"""The catalogue of classic mistakes: mutations of the reference, used twice.

``validate`` submits each mutant and proves a check of its class catches it;
grading replays a failed check's probe calls on the mutants of that class and,
where the student's answers match a mutant's (and not the reference's), names
the mistake. ``reference/NAME/mistakes.toml``::

    [[mistake]]
    id = "dense-weight-gradient-transposed"
    class = "DenseLayer"
    title = "Weight gradient transposed"
    explanation = "The weight gradient is input.T @ output_error, shape (n_in, n_units)."
    hint = "Check the shapes: the gradient has the shape of the weights."
    [[mistake.edit]]
    file = "layers.py"
    find = "weights_error = self.input.T @ output_error"
    replace = "weights_error = (output_error.T @ self.input).T * 0 + output_error.T.sum()"

Each ``find`` must occur exactly once in the reference file. For a notebook
(``file = "backprop.ipynb"``) the edit applies to the text of its code cells,
and the mutant is a notebook submission.
"""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from grader.checks.assertions import compare
from grader.core.assignment import Assignment, AssignmentError
from grader.core.types import ProbeFailure
from grader.submissions.notebooks import replace_in_code_cells


def edited_sources(solution: Path, edits: list[dict], label: str) -> dict[str, str]:
    """{file name: source} of the reference in ``solution`` after ``edits`` (each ``find`` replaced once).

    ``label`` names the entry in errors (``mistake ID``, ``variant ID``). The
    mistake catalogue and the accepted variants are both small edits of the reference.
    """
    sources = {p.name: p.read_text(encoding="utf-8") for p in [*solution.glob("*.py"), *solution.glob("*.ipynb")]}
    for edit in edits:
        missing = [key for key in ("file", "find", "replace") if key not in edit]
        if missing:
            raise AssignmentError(f"{label}: an edit lacks {', '.join(missing)} (each edit has file, find and replace)")
        name = edit["file"]
        text = sources.get(name)
        if text is None:
            raise AssignmentError(f"{label}: the reference has no {name}")
        if name.endswith(".ipynb"):  # the edit applies to the notebook's code cells
            sources[name] = replace_in_code_cells(text, edit["find"], edit["replace"], label)
            continue
        count = text.count(edit["find"])
        if count != 1:
            raise AssignmentError(f"{label}: {edit['find']!r} occurs {count} times in {name} "
                                  "(it must occur exactly once; quote more of the line)")
        sources[name] = text.replace(edit["find"], edit["replace"])
    return sources


@dataclass
class Mistake:
    id: str
    cls: str
    title: str
    explanation: str
    hint: str
    edits: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"id": self.id, "class": self.cls, "title": self.title, "explanation": self.explanation, "hint": self.hint}


class Catalogue:
    """The assignment's mistakes; ``mutant_runner(folder)`` runs probes on a mutant written into ``folder``
    (given by the engine, which knows the assignment's kind; needed only to diagnose)."""

    def __init__(self, assignment: Assignment, mutant_runner: Callable[[Path], object] | None = None):
        self.assignment = assignment
        self.mutant_runner = mutant_runner
        self.mistakes: list[Mistake] = []
        self._runners: dict[str, object] = {}
        self._tmp: tempfile.TemporaryDirectory | None = None
        path = assignment.mistakes_path
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise AssignmentError(f"{path} is not valid TOML: {exc}") from None
            for entry in data.get("mistake", []):
                try:
                    self.mistakes.append(Mistake(entry["id"], entry["class"], entry["title"], entry.get("explanation", ""),
                                                 entry.get("hint", ""), list(entry.get("edit", []))))
                except KeyError as exc:
                    raise AssignmentError(f"{path}: a mistake lacks {exc.args[0]!r}") from None

    def __iter__(self):
        return iter(self.mistakes)

    def __len__(self):
        return len(self.mistakes)

    def get(self, mistake_id: str) -> Mistake | None:
        return next((m for m in self.mistakes if m.id == mistake_id), None)

    def mutated_sources(self, mistake: Mistake) -> dict[str, str]:
        """{file name: mutated source} for the files the mistake edits (plus untouched ones)."""
        return edited_sources(self.assignment.solution_dir, mistake.edits, f"mistake {mistake.id}")

    def write_mutant(self, mistake: Mistake, into: Path) -> Path:
        into.mkdir(parents=True, exist_ok=True)
        for name, text in self.mutated_sources(mistake).items():
            (into / name).write_text(text, encoding="utf-8")
        return into

    def _runner(self, mistake: Mistake):
        if mistake.id not in self._runners:
            if self.mutant_runner is None:
                raise AssignmentError("this catalogue was made without a way to run mutants (a grader bug)")
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="nngrade-mutants-")
            self._runners[mistake.id] = self.mutant_runner(self.write_mutant(mistake, Path(self._tmp.name) / mistake.id))
        return self._runners[mistake.id]

    def diagnose(self, cls: str, calls: list, reference) -> list[Mistake]:
        """The catalogued mistakes of ``cls`` whose answers equal the student's on every recorded call."""
        answered = [(p, k, s, v) for p, k, s, v in calls if not isinstance(v, ProbeFailure)]
        if not answered:
            return []
        found = []
        for mistake in self.mistakes:
            if mistake.cls != cls:
                continue
            runner = self._runner(mistake)
            differs_from_reference = False
            for probe, kwargs, seed, value in answered:
                try:
                    mutant_value = runner.run(probe, kwargs, seed=seed)
                except ProbeFailure:
                    break
                if compare(value, mutant_value, "", rtol=1e-4, atol=1e-7) is not None:
                    break
                if compare(mutant_value, reference.run(probe, kwargs, seed=seed), "", rtol=1e-6, atol=1e-9):
                    differs_from_reference = True
            else:
                if differs_from_reference:
                    found.append(mistake)
        return found

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._runners.clear()
