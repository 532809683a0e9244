"""Stage a module submission (folder, .zip, .py or .ipynb) for a worker.

The student's files are copied (never run) into a fresh folder; each module the
assignment expects (``layers.py``…) is found by name anywhere in the tree. A
single ``.py`` or notebook that holds every class serves every module. What
cannot be read becomes a *note* for the report, never a grader crash.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from grader.core.types import Staged, StagedCode
from grader.submissions.files import (
    MAX_SOURCE_BYTES,
    MAX_STAGED_BYTES,
    capped,
    copy_in,
    shown,
)


def notebook_to_source(path: Path) -> str:
    """The code cells of a notebook as one module; IPython magics and shell lines are commented out."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        cells = notebook["cells"] if isinstance(notebook, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no cells")
    except (ValueError, KeyError, RecursionError) as exc:
        raise ValueError(f"{shown(path.name)} is not a valid notebook ({shown(exc)[:200]}); "
                         "save it again from Jupyter") from None
    chunks = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        lines = [f"# (not run by the grader) {line}" if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        chunks.append(f"# --- cell {index + 1} ---\n" + "\n".join(lines))
    return "\n\n".join(chunks) + "\n"


def _fix_encoding(path: Path, shown_name: str, notes: list[str]) -> None:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        path.write_text(raw.decode("latin-1"), encoding="utf-8")
        notes.append(f"{shown_name} is not valid UTF-8 (byte {raw[exc.start]:#04x} at position {exc.start}); "
                     "it was read as Latin-1. Save your files as UTF-8.")


def _find_modules(raw: Path, sources: list[Path], modules: list[str], notes: list[str]) -> dict[str, Path]:
    """Each expected module -> the file that holds it (the shallowest of that name); {} when none is there."""
    by_name: dict[str, list[Path]] = {}
    for path in sources:
        by_name.setdefault(path.stem, []).append(path)
    found = {m: sorted(by_name[m], key=lambda p: (len(p.relative_to(raw).parts), str(p)))[0]
             for m in modules if m in by_name}
    for module, path in found.items():
        if len(by_name[module]) > 1:
            others = ", ".join(shown(p.relative_to(raw)) for p in by_name[module] if p != path)
            notes.append(f"several files named {module}.py; graded {shown(path.relative_to(raw))} (ignored: {others})")
    return found


def _single_file(raw: Path, sources: list[Path], notebooks: list[Path], modules: list[str],
                 notes: list[str]) -> Path:
    """The one .py (or notebook, converted) that serves every module; ValueError says why there is none."""
    candidates = [p for p in sources if p.stem not in ("__init__", "setup", "conftest") and
                  not p.stem.startswith("test_")]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates and len(notebooks) == 1:
        converted = raw / (notebooks[0].stem + "_notebook.py")
        converted.write_text(notebook_to_source(notebooks[0]), encoding="utf-8")
        notes.append(f"graded the code cells of {shown(notebooks[0].relative_to(raw))}")
        return converted
    expected = ", ".join(f"{m}.py" for m in modules)
    seen = ", ".join(shown(p.relative_to(raw)) for p in (sources + notebooks)[:10]) or "no Python files"
    raise ValueError(f"none of the expected files ({expected}) was found in the submission (found: {seen})")


def _copy_graded(raw: Path, workdir: Path, found: dict[str, Path], staged: Staged) -> int:
    """Copy the graded files into the worker's folder (UTF-8); returns the bytes copied."""
    display, copied = {}, 0
    for module, path in found.items():
        rel = path.relative_to(raw)
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            staged.notes.append(f"{shown(rel)} is larger than {MAX_SOURCE_BYTES >> 20} MB and was not graded")
            continue
        target = workdir / rel
        if not target.exists():
            copied += size
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            _fix_encoding(target, shown(rel), staged.notes)
        staged.code.files[module] = rel.as_posix()
        display[module] = shown(rel)
    staged.code.display_names = display
    return copied


def _copy_helpers(raw: Path, workdir: Path, sources: list[Path], copied: int, notes: list[str]) -> None:
    """Helper files the student imports (utils.py…) go beside the graded ones, up to MAX_STAGED_BYTES in all."""
    for path in sources:
        rel = path.relative_to(raw)
        target = workdir / rel
        size = path.stat().st_size
        if target.exists() or size > MAX_SOURCE_BYTES:
            continue
        if copied + size > MAX_STAGED_BYTES:
            notes.append(f"the submission's other Python files exceed {MAX_STAGED_BYTES >> 20} MB; "
                         f"{shown(rel)} and later ones were left out")
            break
        copied += size
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _withhold(code: StagedCode, modules: list[str], left_out: dict[str, str]) -> None:
    """An expected module whose file was left out (too large, damaged) is withheld, with the reason: its
    importers are told why it is missing rather than that it does not exist."""
    by_stem: dict[str, list[str]] = {}
    for rel in sorted(left_out, key=lambda r: (r.count("/"), r)):
        if rel.endswith(".py"):
            by_stem.setdefault(Path(rel).stem, []).append(left_out[rel])
    code.withheld = {m: by_stem[m][0] for m in modules if m not in code.files and m in by_stem}


def stage_modules(submission: Path, modules: list[str], into: Path) -> Staged:
    """Copy ``submission`` into ``into/work`` and find the assignment's modules in it."""
    workdir, raw = into / "work", into / "raw"
    workdir.mkdir(parents=True, exist_ok=True)
    raw.mkdir(parents=True, exist_ok=True)
    staged = Staged(StagedCode(workdir=workdir, files={}), [])
    left_out: dict[str, str] = {}
    staged.fatal = copy_in(Path(submission), raw, staged.notes, left_out)
    if staged.fatal is None:
        sources = [p for p in sorted(raw.rglob("*.py")) if p.is_file()]
        notebooks = [p for p in sorted(raw.rglob("*.ipynb")) if p.is_file()]
        try:
            found = (_find_modules(raw, sources, modules, staged.notes)
                     or dict.fromkeys(modules, _single_file(raw, sources, notebooks, modules, staged.notes)))
        except ValueError as exc:
            staged.fatal = str(exc)
        else:
            copied = _copy_graded(raw, workdir, found, staged)
            _copy_helpers(raw, workdir, sources, copied, staged.notes)
            _withhold(staged.code, modules, left_out)
            missing = [m for m in modules if m not in staged.code.files and m not in staged.code.withheld]
            if missing:
                staged.notes.append("not found in the submission: " + ", ".join(f"{m}.py" for m in missing))
            shutil.rmtree(raw, ignore_errors=True)
    capped(staged.notes)
    return staged
