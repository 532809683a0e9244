"""Student files load under every import style, and failures read as sentences."""
import zipfile
from pathlib import Path

import pytest

from grader.sandbox.modules import ModuleLoadError, ModuleSet
from grader.submissions.files import MAX_SOURCE_BYTES, shorten
from grader.submissions.modules import stage_modules


def _write(folder: Path, files: dict) -> dict:
    for name, text in files.items():
        (folder / name).write_text(text)
    return {Path(n).stem: folder / n for n in files}


@pytest.mark.parametrize("style", ["from base import Base", "from .base import Base", "from pkg.base import Base"])
def test_import_styles_share_one_module(tmp_path, style):
    files = _write(tmp_path, {"base.py": "class Base: pass\n", "child.py": f"{style}\nclass Child(Base): pass\n"})
    modules = ModuleSet("pkg", files)
    assert modules.load_all() == {}
    child, base = modules.find("Child", "child"), modules.find("Base", "base")
    assert issubclass(child, base)
    modules.detach()


@pytest.mark.parametrize("style", ["from .model import Model", "from pkg.model import Model"])
def test_a_helper_file_of_the_students_own_imports_relatively(tmp_path, style):
    files = _write(tmp_path, {"net.py": f"{style}\nclass Net(Model): pass\n"})
    (tmp_path / "model.py").write_text("class Model: pass\n")   # not an assignment module: a file of their own
    modules = ModuleSet("pkg", files)
    assert modules.load_all() == {}
    assert modules.find("Net", "net").__mro__[1].__name__ == "Model"
    modules.detach()


def test_single_file_serves_every_module(tmp_path):
    path = tmp_path / "all.py"
    path.write_text("class Base: pass\nclass Child(Base): pass\n")
    modules = ModuleSet("pkg", {"base": path, "child": path})
    assert modules.load_all() == {}
    assert modules.find("Child", "child").__mro__[1] is modules.find("Base", "base")
    modules.detach()


def test_sets_are_isolated(tmp_path):
    one = _write(tmp_path, {"base.py": "VALUE = 1\n"})
    (tmp_path / "two").mkdir()
    two = _write(tmp_path / "two", {"base.py": "VALUE = 2\n"})
    first, second = ModuleSet("pkg", one), ModuleSet("pkg", two)
    first.load_all(); first.detach()
    second.load_all(); second.detach()
    assert (first.find("VALUE", "base"), second.find("VALUE", "base")) == (1, 2)


def test_failures_are_explained(tmp_path):
    files = _write(tmp_path, {
        "broken.py": "def f(:\n",
        "needs.py": "import tensorflow_not_here\n",
        "uses.py": "from broken import f\n",
        "exits.py": "import sys\nsys.exit(3)\n",
        "fine.py": "class Other: pass\n",
    })
    modules = ModuleSet("pkg", files)
    errors = modules.load_all()
    modules.detach()
    assert "syntax error at line 1" in errors["broken"]
    assert "tensorflow_not_here" in errors["needs"] and "not available" in errors["needs"]
    assert "because" in errors["uses"] and "syntax error" in errors["uses"]
    assert "exit()" in errors["exits"]
    with pytest.raises(ModuleLoadError, match=r"fine.py does not define Wanted \(it defines: Other\)"):
        modules.find("Wanted", "fine")
    with pytest.raises(ModuleLoadError, match="no layers.py found"):
        modules.find("DenseLayer", "layers")


def _oversize_submission(folder: Path) -> Path:
    folder.mkdir()
    (folder / "activations.py").write_text("from layers import Layer\nclass ReLU(Layer): pass\n")
    (folder / "layers.py").write_text("class Layer: pass\n" + "#" * (MAX_SOURCE_BYTES + (100 << 10)) + "\n")
    return folder


def test_an_oversize_module_is_reported_with_its_size_and_the_limit_and_its_importers_say_why(tmp_path):
    staged = stage_modules(_oversize_submission(tmp_path / "sub"), ["layers", "activations"], tmp_path / "staged")
    reason = "layers.py is 5.1 MB, over the grader's 5 MB limit for one Python file: it was not graded"
    assert staged.fatal is None and staged.code.withheld == {"layers": reason}
    assert reason in staged.notes
    assert not any("not found" in note for note in staged.notes), staged.notes  # it was found, and left out
    modules = ModuleSet("pkg", {m: staged.code.workdir / rel for m, rel in staged.code.files.items()})
    modules.withheld = staged.code.withheld
    errors = modules.load_all()
    assert errors == {"activations": f"activations.py imports 'layers' (line 1), but {reason}"}
    with pytest.raises(ModuleLoadError, match=r"5 MB limit .*it should define Layer"):
        modules.find("Layer", "layers")
    modules.detach()


def test_a_damaged_zip_entry_is_left_out_with_the_reason(tmp_path):
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layers.py", "class Layer:\n    pass\n" * 200)
        zf.writestr("activations.py", "X = 1\n")
    data = bytearray(archive.read_bytes())
    start = data.index(b"layers.py") + len("layers.py") + 10   # inside the compressed data of layers.py
    data[start:start + 40] = bytes(40)
    archive.write_bytes(bytes(data))
    staged = stage_modules(archive, ["layers", "activations"], tmp_path / "staged")
    assert staged.fatal is None and list(staged.code.files) == ["activations"]
    assert staged.code.withheld["layers"].startswith("layers.py could not be unpacked from sub.zip (")
    assert staged.code.withheld["layers"].endswith("): it was not graded")


def test_a_corrupt_zip_is_one_whole_sentence(tmp_path):
    archive = tmp_path / ("a" * 150 + ".zip")
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    staged = stage_modules(archive, ["layers"], tmp_path / "staged")
    assert staged.fatal.endswith("is not a readable zip file (File is not a zip file); make it again with your "
                                 "system's 'Compress' or 'zip -r'")


@pytest.mark.parametrize("text, limit, expected", [
    ("short enough", 20, "short enough"),
    ("the archive could not be unpacked at all", 20, "the archive could…"),
    ("x" * 30, 10, "x" * 9 + "…"),
])
def test_long_text_is_shortened_at_a_word_boundary(text, limit, expected):
    assert shorten(text, limit) == expected and len(shorten(text, limit)) <= limit


def test_a_notebook_left_out_of_a_zip_is_the_reason_nothing_was_graded(tmp_path):
    from grader.core.assignment import find_assignment
    from grader.submissions.notebooks import stage_notebook

    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("backprop.ipynb", '{"cells": []}' + " " * 4000)
    data = bytearray(archive.read_bytes())
    start = data.index(b"backprop.ipynb") + len("backprop.ipynb") + 2
    data[start:start + 20] = bytes(20)
    archive.write_bytes(bytes(data))
    staged = stage_notebook(archive, find_assignment("backprop"), tmp_path / "staged")
    assert staged.fatal.startswith("backprop.ipynb could not be unpacked from sub.zip (")


def test_a_long_import_error_is_shortened_at_a_word_boundary(tmp_path):
    files = _write(tmp_path, {"loud.py": "raise ValueError('gradient ' * 500)\n"})
    modules = ModuleSet("pkg", files)
    message = modules.load_all()["loud"]
    modules.detach()
    assert message.endswith("gradient … (shortened)") and len(message) < 2100


def test_an_error_raised_deep_in_runaway_recursion_is_read_as_exhaustion(tmp_path):
    """CPython, out of stack or memory deep in a recursion, may raise SystemError: the description says why."""
    import sys

    from grader.sandbox.worker import RUNAWAY_DEPTH, describe_exception

    files = _write(tmp_path, {"deep.py": "def dive(n):\n    if n == 0:\n        raise SystemError('error return without "
                                         "exception set')\n    return dive(n - 1) + 1\n"})
    modules = ModuleSet("pkg", files)
    assert modules.load_all() == {}
    dive = modules.find("dive", "deep")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(RUNAWAY_DEPTH + 1000)
    try:
        for depth, runaway in ((10, False), (RUNAWAY_DEPTH + 100, True)):
            with pytest.raises(SystemError) as raised:
                dive(depth)
            message = describe_exception(raised.value, modules)["message"]
            assert ("the recursion ran the interpreter out of memory or stack" in message) is runaway
    finally:
        sys.setrecursionlimit(limit)
        modules.detach()
