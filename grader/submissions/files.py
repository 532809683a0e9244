"""Copying a submission in, safely: a folder, a zip or one file becomes a tree of the Python files and notebooks
it holds, with size, count, link and path checks. Nothing is ever run here; what cannot be read becomes a note.
"""
from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

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


def skipped(parts) -> bool:
    return any(p in SKIPPED_PARTS or p.startswith(".") for p in parts)


def shown(name) -> str:
    """A file name as it may appear in a note: printable, valid UTF-8, not too long."""
    text = str(name).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def size_limit(name: str) -> int | None:
    """How large a file of this name may be, or None when it is not used at all."""
    return USED_SUFFIXES.get(PurePosixPath(name).suffix.lower())


def extract_zip(archive: Path, into: Path, notes: list[str]) -> None:
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
                limit = size_limit(name.name)
                if info.is_dir() or skipped(name.parts) or limit is None:
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


def copy_tree(source: Path, into: Path, notes: list[str]) -> None:
    count = total = 0
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        limit = size_limit(path.name)
        if skipped(rel.parts) or limit is None:
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


def copy_in(submission: Path, raw: Path, notes: list[str]) -> str | None:
    """Copy ``submission`` (a folder, a .zip, a .py or an .ipynb) into ``raw``; the reason when nothing can be used."""
    try:
        if submission.is_dir():
            copy_tree(submission, raw, notes)
        elif submission.suffix.lower() == ".zip":
            extract_zip(submission, raw, notes)
        elif submission.suffix.lower() in USED_SUFFIXES and submission.is_file():
            limit = size_limit(submission.name)
            if submission.stat().st_size > limit:
                return f"{shown(submission.name)} is larger than {limit >> 20} MB and was not graded"
            shutil.copyfile(submission, raw / submission.name)
        elif not submission.exists():
            return f"{submission} does not exist"
        else:
            return f"{submission.name}: a submission must be a folder, a .zip, a .py or an .ipynb file"
    except (ValueError, OSError) as exc:
        return shown(exc)[:MAX_NOTE_CHARS * 2]
    return None


def capped(notes: list[str]) -> None:
    """At most MAX_NOTES notes of MAX_NOTE_CHARS each: a hostile archive must not flood the report."""
    if len(notes) > MAX_NOTES:
        notes[MAX_NOTES - 1:] = [f"… and {len(notes) - MAX_NOTES + 1} more notes"]
    notes[:] = [n if len(n) <= MAX_NOTE_CHARS else n[:MAX_NOTE_CHARS] + "…" for n in notes]
