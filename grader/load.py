"""Stage a submission (folder, .zip, .py or .ipynb) for a worker.

The student's files are copied (never run) into a fresh folder; each module the
assignment expects (``layers.py``…) is found by name anywhere in the tree. A
single ``.py`` or notebook that holds every class serves every module. What
cannot be read becomes a *note* for the report, never a grader crash.
"""
from __future__ import annotations

import json
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.sandbox.client import StagedCode

MAX_FILES = 2000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_SOURCE_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024      # notebooks carry their outputs (plots) too
MAX_STAGED_BYTES = 20 * 1024 * 1024        # everything sent to the worker
MAX_NOTES = 20
MAX_NOTE_CHARS = 300
#: Only these files are ever used; nothing else of a submission is copied.
USED_SUFFIXES = {".py": MAX_SOURCE_BYTES, ".ipynb": MAX_NOTEBOOK_BYTES}
SKIPPED_PARTS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", "venv", ".venv", "site-packages"}


@dataclass
class Staged:
    code: StagedCode
    notes: list[str] = field(default_factory=list)      # shown to the student
    fatal: str | None = None                            # nothing gradable was found


def _skipped(parts) -> bool:
    return any(p in SKIPPED_PARTS or p.startswith(".") for p in parts)


def shown(name) -> str:
    """A file name as it may appear in a note: printable, valid UTF-8, not too long."""
    text = str(name).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def _size_limit(name: str) -> int | None:
    """How large a file of this name may be, or None when it is not used at all."""
    return USED_SUFFIXES.get(PurePosixPath(name).suffix.lower())


def _extract_zip(archive: Path, into: Path, notes: list[str]) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            total = count = 0
            for info in zf.infolist():
                name = PurePosixPath(info.filename.replace("\\", "/"))
                is_link = stat.S_ISLNK(info.external_attr >> 16)
                if is_link or name.is_absolute() or ".." in name.parts:
                    notes.append(f"{archive.name}: entry {shown(info.filename)!r} was ignored (links and paths "
                                 "outside the archive are not allowed)")
                    continue
                limit = _size_limit(name.name)
                if info.is_dir() or _skipped(name.parts) or limit is None:
                    continue
                count += 1
                if count > MAX_FILES:
                    notes.append(f"{archive.name}: more than {MAX_FILES} Python files; the rest were ignored")
                    break
                if info.file_size > limit:
                    notes.append(f"{shown(info.filename)} is larger than {limit >> 20} MB and was ignored")
                    continue
                total += info.file_size
                if total > MAX_TOTAL_BYTES:
                    notes.append(f"{archive.name}: unpacks to more than {MAX_TOTAL_BYTES >> 20} MB; "
                                 "the rest was ignored")
                    break
                target = into.joinpath(*name.parts)
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as dst:
                        _copy_limited(src, dst, info.file_size)
                except (OSError, ValueError) as exc:
                    target.unlink(missing_ok=True)
                    notes.append(f"{archive.name}: entry {shown(info.filename)!r} was ignored ({shown(exc)})")
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise ValueError(f"{archive.name} is not a readable zip file ({shown(exc)}); "
                         "make the archive again with your system's 'Compress' or 'zip -r'") from None


def _copy_limited(src, dst, limit: int) -> None:
    written = 0
    while chunk := src.read(1 << 20):
        written += len(chunk)
        if written > limit:  # a zip bomb lies about its sizes
            raise ValueError("an entry unpacks to more than its declared size")
        dst.write(chunk)


def _copy_tree(source: Path, into: Path, notes: list[str]) -> None:
    count = total = 0
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        limit = _size_limit(path.name)
        if _skipped(rel.parts) or limit is None:
            continue
        if path.is_symlink():
            notes.append(f"{shown(rel)}: symbolic links are not followed; the file was ignored")
            continue
        if not path.is_file():  # a FIFO or a device would block or never end
            continue
        count += 1
        if count > MAX_FILES:
            notes.append(f"more than {MAX_FILES} Python files; the rest were ignored")
            break
        size = path.stat().st_size
        if size > limit:
            notes.append(f"{shown(rel)} is larger than {limit >> 20} MB and was ignored")
            continue
        total += size
        if total > MAX_TOTAL_BYTES:
            notes.append(f"the submission holds more than {MAX_TOTAL_BYTES >> 20} MB of Python files; "
                         "the rest was ignored")
            break
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target, follow_symlinks=False)


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


def _fix_encoding(path: Path, shown: str, notes: list[str]) -> None:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        path.write_text(raw.decode("latin-1"), encoding="utf-8")
        notes.append(f"{shown} is not valid UTF-8 (byte {raw[exc.start]:#04x} at position {exc.start}); "
                     "it was read as Latin-1. Save your files as UTF-8.")


def stage(submission: Path, modules: list[str], into: Path) -> Staged:
    """Copy ``submission`` into ``into/work`` and find the assignment's modules in it."""
    workdir = into / "work"
    raw = into / "raw"
    workdir.mkdir(parents=True, exist_ok=True)
    raw.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    staged = Staged(StagedCode(workdir=workdir, files={}), notes)
    submission = Path(submission)
    try:
        if submission.is_dir():
            _copy_tree(submission, raw, notes)
        elif submission.suffix.lower() == ".zip":
            _extract_zip(submission, raw, notes)
        elif submission.suffix.lower() in (".py", ".ipynb") and submission.is_file():
            limit = _size_limit(submission.name)
            if submission.stat().st_size > limit:
                staged.fatal = f"{shown(submission.name)} is larger than {limit >> 20} MB and was not graded"
                return staged
            shutil.copyfile(submission, raw / submission.name)
        elif not submission.exists():
            staged.fatal = f"{submission} does not exist"
            return staged
        else:
            staged.fatal = (f"{submission.name}: a submission must be a folder, a .zip, a .py or an .ipynb file")
            return staged
    except (ValueError, OSError) as exc:
        staged.fatal = shown(exc)[:MAX_NOTE_CHARS * 2]
        return _capped(staged)

    sources = [p for p in sorted(raw.rglob("*.py")) if p.is_file()]
    notebooks = [p for p in sorted(raw.rglob("*.ipynb")) if p.is_file()]
    by_name: dict[str, list[Path]] = {}
    for path in sources:
        by_name.setdefault(path.stem, []).append(path)

    found = {m: sorted(by_name[m], key=lambda p: (len(p.relative_to(raw).parts), str(p)))[0]
             for m in modules if m in by_name}
    for module, path in found.items():
        if len(by_name[module]) > 1:
            others = ", ".join(shown(p.relative_to(raw)) for p in by_name[module] if p != path)
            notes.append(f"several files named {module}.py; graded {shown(path.relative_to(raw))} (ignored: {others})")

    if not found:
        candidates = [p for p in sources if p.stem not in ("__init__", "setup", "conftest") and
                      not p.stem.startswith("test_")]
        single = candidates[0] if len(candidates) == 1 else None
        if single is None and not candidates and len(notebooks) == 1:
            try:
                converted = raw / (notebooks[0].stem + "_notebook.py")
                converted.write_text(notebook_to_source(notebooks[0]), encoding="utf-8")
                single = converted
                notes.append(f"graded the code cells of {shown(notebooks[0].relative_to(raw))}")
            except ValueError as exc:
                staged.fatal = str(exc)
                return _capped(staged)
        if single is None:
            expected = ", ".join(f"{m}.py" for m in modules)
            seen = ", ".join(shown(p.relative_to(raw)) for p in (sources + notebooks)[:10]) or "no Python files"
            staged.fatal = f"none of the expected files ({expected}) was found in the submission (found: {seen})"
            return _capped(staged)
        found = {m: single for m in modules}

    display = {}
    staged_bytes = 0
    for module, path in found.items():
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            notes.append(f"{shown(path.relative_to(raw))} is larger than {MAX_SOURCE_BYTES >> 20} MB "
                         "and was not graded")
            continue
        rel = path.relative_to(raw)
        target = workdir / rel
        if not target.exists():
            staged_bytes += size
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            _fix_encoding(target, shown(rel), notes)
        staged.code.files[module] = rel.as_posix()
        display[module] = shown(rel)
    # Helper files the student imports (utils.py…) sit beside the graded ones.
    for path in sources:
        rel = path.relative_to(raw)
        target = workdir / rel
        size = path.stat().st_size
        if target.exists() or size > MAX_SOURCE_BYTES:
            continue
        if staged_bytes + size > MAX_STAGED_BYTES:
            notes.append(f"the submission's other Python files exceed {MAX_STAGED_BYTES >> 20} MB; "
                         f"{shown(rel)} and later ones were left out")
            break
        staged_bytes += size
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    staged.code.display_names = display
    missing = [m for m in modules if m not in staged.code.files]
    if missing:
        notes.append("not found in the submission: " + ", ".join(f"{m}.py" for m in missing))
    shutil.rmtree(raw, ignore_errors=True)
    return _capped(staged)


def _capped(staged: Staged) -> Staged:
    """At most MAX_NOTES notes of MAX_NOTE_CHARS each: a hostile archive must not flood the report."""
    notes = staged.notes
    if len(notes) > MAX_NOTES:
        notes[MAX_NOTES - 1:] = [f"… and {len(notes) - MAX_NOTES + 1} more notes"]
    notes[:] = [n if len(n) <= MAX_NOTE_CHARS else n[:MAX_NOTE_CHARS] + "…" for n in notes]
    return staged
