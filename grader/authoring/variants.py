"""An assignment's accepted variants: correct solutions the course allows that differ from the reference.

``reference/NAME/variants.toml``, the mistake catalogue's sibling, lists them
the way ``mistakes.toml`` lists mistakes, as small edits of the reference::

    [[variant]]
    id = "drop-last-batch"
    class = "NeuralNetwork"
    title = "get_mini_batches drops the last, incomplete batch"
    why = "The course's own code does (and asserts batch_size <= n_samples)."
    [[variant.edit]]
    file = "neuralnet.py"
    find = "for start in range(0, n_samples, self.batch_size):"
    replace = "for start in range(0, n_samples - self.batch_size + 1, self.batch_size):"

``nngrade validate`` grades every variant and fails unless each earns full
marks with no mistake named: no check may accept a variant and then take
points for it elsewhere. The file never leaves the reference (``release``
copies only what it names).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from grader.checks.mistakes import edited_sources
from grader.core.assignment import Assignment, AssignmentError

VARIANTS_FILE = "variants.toml"


@dataclass
class Variant:
    id: str
    cls: str
    title: str
    why: str
    edits: list[dict] = field(default_factory=list)


def variants_path(assignment: Assignment) -> Path:
    return assignment.root / VARIANTS_FILE


def load_variants(assignment: Assignment) -> list[Variant]:
    """The assignment's accepted variants (none when it has no variants file), each proven to apply."""
    path = variants_path(assignment)
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{path} is not valid TOML: {exc}") from None
    variants: list[Variant] = []
    for number, entry in enumerate(data.get("variant", []), start=1):
        missing = [key for key in ("id", "class", "title", "edit") if key not in entry]
        if missing:
            raise AssignmentError(f"{path}: variant {number} ({entry.get('id', 'no id')}) lacks "
                                  f"{', '.join(missing)} (each variant has id, class, title and at least one "
                                  "[[variant.edit]] with file, find and replace)")
        if any(v.id == entry["id"] for v in variants):
            raise AssignmentError(f"{path}: two variants have the id {entry['id']!r}; give each its own")
        variant = Variant(entry["id"], entry["class"], entry["title"], entry.get("why", ""), list(entry["edit"]))
        edited_sources(assignment.solution_dir, variant.edits, f"{path}: variant {variant.id}")  # each edit applies
        variants.append(variant)
    return variants


def write_variant(assignment: Assignment, variant: Variant, into: Path) -> Path:
    """The reference with ``variant``'s edits, written into the folder ``into`` (a submission)."""
    label = f"{variants_path(assignment)}: variant {variant.id}"
    sources = edited_sources(assignment.solution_dir, variant.edits, label)
    into.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (into / name).write_text(text, encoding="utf-8")
    return into
