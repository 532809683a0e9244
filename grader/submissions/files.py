"""Copying a submission in, safely: a folder, a zip or one file becomes a tree of the Python files and notebooks
it holds, with size, count, link and path checks. Nothing is ever run here; what cannot be read becomes a note.
"""
from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

MAX_FILES = 2000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_SOURCE_BYTES = 5 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024      # notebooks carry their outputs (plots) too
MAX_STAGED_BYTES = 20 * 1024 * 1024        # everything sent to the worker
MAX_NOTES = 20
MAX_NOTE_CHARS = 300
#: What a damaged archive can raise while one entry is read (a bad CRC, a broken deflate stream, a cut-off file).
DAMAGED_ENTRY = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError)
#: Only these files are ever used; nothing else of a submission is copied.
USED_SUFFIXES = {".py": MAX_SOURCE_BYTES, ".ipynb": MAX_NOTEBOOK_BYTES}
SKIPPED_PARTS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", "venv", ".venv", "site-packages"}


def skipped(parts) -> bool:
    return any(p in SKIPPED_PARTS or p.startswith(".") for p in parts)


def printable(value) -> str:
    """``str(value)`` as valid UTF-8 with every unprintable character a "?"."""
    text = str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(c if c.isprintable() else "?" for c in text)


def shown(name) -> str:
    """A file name as it may appear in a note: printable, valid UTF-8, not too long (its end kept: the suffix)."""
    text = printable(name)
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending in "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:(") + "…"


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def too_large(name: str, size: int, limit: int) -> str:
    """Why a file was not graded, with its size and the limit (shown in the note and in import errors)."""
    kind = "notebook" if name.lower().endswith(".ipynb") else "Python file"
    return (f"{name} is {_megabytes(size)}, over the grader's {limit >> 20} MB limit for one {kind}: "
            "it was not graded")


def size_limit(name: str) -> int | None:
    """How large a file of this name may be, or None when it is not used at all."""
    return USED_SUFFIXES.get(PurePosixPath(name).suffix.lower())


def extract_zip(archive: Path, into: Path, notes: list[str], withheld: dict[str, str]) -> None:
    """Unpack the used files of ``archive``; each one left out for its size or damage goes in ``withheld``
    (relative path -> why), and every one left out gets a note."""
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
                    withheld[name.as_posix()] = too_large(shown(name.as_posix()), info.file_size, limit)
                    notes.append(withheld[name.as_posix()])
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
                except DAMAGED_ENTRY as exc:
                    target.unlink(missing_ok=True)
                    withheld[name.as_posix()] = (f"{shown(name.as_posix())} could not be unpacked from "
                                                 f"{shown(archive.name)} ({shorten(printable(exc), 80)}): "
                                                 "it was not graded")
                    notes.append(withheld[name.as_posix()])
    except DAMAGED_ENTRY as exc:
        raise ValueError(unreadable_zip(archive.name, exc)) from None


def unreadable_zip(name: str, exc: BaseException) -> str:
    """Short and whole: the reason is cut at a word boundary, never the advice."""
    return (f"{shown(name)} is not a readable zip file ({shorten(printable(exc), 80)}); "
            "make it again with your system's 'Compress' or 'zip -r'")


def _copy_limited(src, dst, limit: int) -> None:
    written = 0
    while chunk := src.read(1 << 20):
        written += len(chunk)
        if written > limit:  # a zip bomb lies about its sizes
            raise ValueError("an entry unpacks to more than its declared size")
        dst.write(chunk)


def copy_tree(source: Path, into: Path, notes: list[str], withheld: dict[str, str]) -> None:
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
            withheld[rel.as_posix()] = too_large(shown(rel.as_posix()), size, limit)
            notes.append(withheld[rel.as_posix()])
            continue
        total += size
        if total > MAX_TOTAL_BYTES:
            notes.append(f"the submission holds more than {MAX_TOTAL_BYTES >> 20} MB of Python files; "
                         "the rest was ignored")
            break
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target, follow_symlinks=False)


def copy_in(submission: Path, raw: Path, notes: list[str], withheld: dict[str, str] | None = None) -> str | None:
    """Copy ``submission`` (a folder, a .zip, a .py or an .ipynb) into ``raw``; the reason when nothing can be used.

    ``withheld`` receives {relative path: why} for each used file left out (too large, damaged in the archive),
    so that an import of it can say why it is missing."""
    withheld = {} if withheld is None else withheld
    try:
        if submission.is_dir():
            copy_tree(submission, raw, notes, withheld)
        elif submission.suffix.lower() == ".zip":
            extract_zip(submission, raw, notes, withheld)
        elif submission.suffix.lower() in USED_SUFFIXES and submission.is_file():
            limit = size_limit(submission.name)
            size = submission.stat().st_size
            if size > limit:
                return too_large(shown(submission.name), size, limit)
            shutil.copyfile(submission, raw / submission.name)
        elif not submission.exists():
            return f"{submission} does not exist"
        else:
            return f"{submission.name}: a submission must be a folder, a .zip, a .py or an .ipynb file"
    except (ValueError, OSError) as exc:
        return shorten(printable(exc), MAX_NOTE_CHARS * 2)
    return None


def capped(notes: list[str]) -> None:
    """At most MAX_NOTES notes of MAX_NOTE_CHARS each: a hostile archive must not flood the report."""
    if len(notes) > MAX_NOTES:
        notes[MAX_NOTES - 1:] = [f"… and {len(notes) - MAX_NOTES + 1} more notes"]
    notes[:] = [shorten(n, MAX_NOTE_CHARS) for n in notes]
