"""Student files load under every import style, and failures read as sentences."""
from pathlib import Path

import pytest

from grader.sandbox.modules import ModuleLoadError, ModuleSet


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
