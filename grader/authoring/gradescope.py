"""``nngrade export-gradescope``: the autograder bundle Gradescope expects, and what runs inside it.

Gradescope unzips the bundle into ``/autograder/source``, runs ``setup.sh``
once (as root) to build its image, then for every submission runs
``/autograder/run_autograder`` from ``/autograder`` with the student's files in
``/autograder/submission``; it reads ``/autograder/results/results.json``.

The bundle (zip root)::

    setup.sh              installs Python, a venv and the pinned dependencies, then self-tests
    run_autograder        grades /autograder/submission into /autograder/results/results.json
    requirements.txt      nngrade's dependencies (+ what the assignment's code imports)
    nngrade/grader/       the grader package (source)
    nngrade/reference/NAME/  the assignment: reference solution, public and hidden checks, rubric
    nngrade/templates/    report templates, when the project has them

It runs on Gradescope's servers, so the reference and the hidden checks travel
in it; students never see the bundle. Paths are overridable for testing:
``NNGRADE_AUTOGRADER_ROOT`` (instead of ``/autograder``), ``NNGRADE_PYTHON``
(the interpreter ``run_autograder`` uses), ``NNGRADE_VENV`` (where ``setup.sh``
makes its venv).
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import traceback
import zipfile
from pathlib import Path

import click

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import grader
from grader.core import assignment as assignments
from grader.core.assignment import Assignment
from grader.core.paths import PACKAGE_PARENT, course_root
from grader.core.schema import full_output, write_json_atomic
from grader.engine.grade import grade
from grader.engine.sandbox_policy import (
    ALLOW_FLAG,
    WeakSandboxRefused,
    describe,
    sandbox_of,
)

TORCH_FAMILY = ("torch", "torchvision", "torchaudio")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
DEFAULT_VENV = "/opt/nngrade-venv"
# builtin_course: an installed wheel's copy of nngrade's own course; the bundle carries only this assignment.
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", "builtin_course"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
set -euo pipefail
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
VENV="${{NNGRADE_VENV:-{venv}}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir --upgrade pip
{torch_install}"$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
# Fail the image build now, not at the first submission, if anything is missing.
cd /tmp && NNGRADE_COURSE="$SOURCE/nngrade" PYTHONPATH="$SOURCE/nngrade" MPLBACKEND=Agg \\
    "$VENV/bin/python" -m grader.authoring.gradescope selftest {weak_flag}{assignment}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; results.json is always written, even if grading fails.
set -uo pipefail
ROOT="${{NNGRADE_AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
PYTHON="${{NNGRADE_PYTHON:-${{NNGRADE_VENV:-{venv}}}/bin/python}}"
mkdir -p "$ROOT/results"
export NNGRADE_COURSE="$SOURCE/nngrade"
export PYTHONPATH="$SOURCE/nngrade"
export MPLBACKEND=Agg
RESULTS="$ROOT/results/results.json"
rm -f "$RESULTS"
cd "$SOURCE/nngrade"
"$PYTHON" -m grader.authoring.gradescope run {weak_flag}{assignment} "$ROOT/submission" "$RESULTS"
status=$?
if [ ! -s "$RESULTS" ]; then  # the grader could not even start: still give the student an answer
    printf '{{"score": 0, "tests": [], "output": "The autograder could not run (exit status %s). This is not a verdict on your code: please tell your instructor."}}\\n' "$status" > "$RESULTS"
fi
"""


class GradescopeError(Exception):
    """The bundle cannot be built as asked (the message says what to fix)."""


# -- building the bundle ---------------------------------------------------------------------------------------

def _core_requirements() -> list[str]:
    """nngrade's own dependencies (not its extras), from pyproject.toml or the installed metadata."""
    pyproject = PACKAGE_PARENT / "pyproject.toml"
    if pyproject.is_file():
        return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    requires = importlib.metadata.requires("nngrade") or []
    return [r for r in requires if "extra ==" not in r]


def _imported_modules(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("*.py"):
        if EXCLUDED_PARTS.intersection(path.relative_to(folder).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError as exc:
            raise GradescopeError(f"{path} does not parse ({exc}); fix it before exporting") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _installed_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution).split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        raise GradescopeError(f"the assignment imports {distribution}, which is not installed here; install it "
                              "(the bundle pins the version you grade with) and export again") from None


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def requirements(assignment: Assignment) -> tuple[list[str], list[str]]:
    """(pip requirements, torch-family pins from the CPU index) for the assignment's bundle."""
    core = _core_requirements()
    known = {_requirement_name(r) for r in core}
    local = {assignment.package, "grader", "conftest", "probes", *assignment.modules}
    local.update(p.stem for p in assignment.root.rglob("*.py"))
    distributions = importlib.metadata.packages_distributions()
    extra, torch = [], []
    for module in sorted(_imported_modules(assignment.root) - local - set(sys.stdlib_module_names)):
        if module in TORCH_FAMILY:
            torch.append(f"{module}=={_installed_version(module)}")
            continue
        names = distributions.get(module)
        if not names:
            raise GradescopeError(f"the assignment imports {module}, which is not installed here; install it "
                                  "and export again")
        name = names[0]
        if _requirement_name(name) not in known:
            extra.append(f"{name}>={_installed_version(name)}")
            known.add(_requirement_name(name))
    return core + extra, torch


def _bundle_files(assignment: Assignment) -> list[tuple[Path, str]]:
    """(file on disk, path in the zip) for the grader package, the assignment and the templates."""
    files = []

    def add_tree(folder: Path, into: str):
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not EXCLUDED_PARTS.intersection(relative.parts) and path.suffix != ".pyc":
                files.append((path, f"{into}/{relative.as_posix()}"))

    add_tree(Path(grader.__file__).parent, "nngrade/grader")
    add_tree(assignment.root, f"nngrade/reference/{assignment.name}")
    if (course_root() / "templates").is_dir():  # the course's own report templates
        add_tree(course_root() / "templates", "nngrade/templates")
    if (PACKAGE_PARENT / "pyproject.toml").is_file():
        files.append((PACKAGE_PARENT / "pyproject.toml", "nngrade/pyproject.toml"))
    return files


def _write_text(archive: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    archive.writestr(info, text)


def export(assignment: Assignment, out: Path, allow_weak_sandbox: bool = False) -> dict:
    """Write the bundle to ``out``; returns {"files", "bytes", "torch"} for the command's message.

    ``allow_weak_sandbox``: the bundle grades even where Gradescope's machine cannot isolate student code
    strongly (its reports then say so); without it such a machine fails the image build's self-test."""
    if not assignment.has_reference:
        raise GradescopeError(f"{assignment.root} is a student bundle; export the instructor's assignment "
                              f"(reference/{assignment.name}), whose reference solution grades the hidden checks")
    pip_requirements, torch = requirements(assignment)
    torch_install = (f'"$VENV/bin/python" -m pip install --no-cache-dir {" ".join(torch)} '
                     f"--index-url {TORCH_CPU_INDEX}\n") if torch else ""
    values = {"venv": DEFAULT_VENV, "assignment": assignment.name, "torch_install": torch_install,
              "weak_flag": f"{ALLOW_FLAG} " if allow_weak_sandbox else ""}
    files = _bundle_files(assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _write_text(archive, "setup.sh", SETUP_SH.format(**values), executable=True)
        _write_text(archive, "run_autograder", RUN_AUTOGRADER.format(**values), executable=True)
        _write_text(archive, "requirements.txt", "\n".join(pip_requirements) + "\n")
        for path, name in files:
            archive.write(path, name)
    return {"files": len(files) + 3, "bytes": out.stat().st_size,
            "torch": ", ".join(t.replace("==", " ") for t in torch)}


# -- inside the bundle, on Gradescope --------------------------------------------------------------------------

def failed_run_results(reason: str) -> dict:
    """results.json when the grader itself could not run: no score is invented, the student is told why."""
    return {"score": 0.0, "execution_time": 0.0, "tests": [],
            "output": f"The autograder could not grade this submission ({reason}). This is not a verdict on your "
                      "code: please tell your instructor.",
            "extra_data": {"misconceptions": [], "grader_failure": reason, "nngrade_version": grader.__version__}}


@click.group()
def main():
    """What the Gradescope bundle runs (``python -m grader.authoring.gradescope``)."""


def _announce_sandbox(a: Assignment) -> None:
    """The isolation level, first in the log (a level that cannot be had is reported by grading itself)."""
    try:
        click.echo(describe(sandbox_of(a)))
    except WeakSandboxRefused as exc:
        click.echo(f"sandbox: {exc}")


@main.command()
@click.option("--allow-weak-sandbox", is_flag=True, help="Grade even below a strong isolation level.")
@click.argument("assignment")
@click.argument("submission", type=click.Path(path_type=Path))
@click.argument("results_json", type=click.Path(path_type=Path))
def run(allow_weak_sandbox, assignment, submission, results_json):
    """Grade SUBMISSION and write RESULTS_JSON (always: a grader failure becomes a result that says so)."""
    try:
        a = assignments.find_assignment(assignment)
        _announce_sandbox(a)
        results = grade(a, submission, allow_weak_sandbox=allow_weak_sandbox)
    except WeakSandboxRefused as exc:  # the instructor's to fix: the log says how, the student is told it is not theirs
        click.echo(str(exc))
        results = failed_run_results(str(exc))
    except Exception as exc:  # the student must get a results.json that says what happened
        traceback.print_exc()  # goes to Gradescope's stdout log, for the instructor
        results = failed_run_results(f"{type(exc).__name__}: {exc}")
    write_json_atomic(results_json, results)
    click.echo(f"score {results['score']:g}; results in {results_json}")


@main.command()
@click.option("--allow-weak-sandbox", is_flag=True, help="Accept a machine below a strong isolation level.")
@click.argument("assignment")
def selftest(allow_weak_sandbox, assignment):
    """Grade the reference solution in the bundle: it must earn every point (run by setup.sh)."""
    a = assignments.find_assignment(assignment)
    _announce_sandbox(a)
    try:
        results = grade(a, a.solution_dir, allow_weak_sandbox=allow_weak_sandbox)
    except WeakSandboxRefused as exc:
        click.echo(f"{exc}; for Gradescope: export the bundle again with `nngrade export-gradescope {ALLOW_FLAG}`")
        sys.exit(1)
    max_score = results["extra_data"]["max_score"]
    click.echo(f"reference solution: {results['score']:g} / {max_score:g}")
    for test in results["tests"]:
        if test["status"] != "passed":
            click.echo(f"  failed: {test['name']}: {full_output(results, test['number'])}")
    sys.exit(0 if results["score"] == max_score else 1)


if __name__ == "__main__":
    main()
