"""Load an assignment's source files as modules, whatever import style they use.

Students write ``from layers import X``, ``from .layers import X`` or
``from numpy_nn.layers import X``; a single ``.py`` or notebook may hold every
class. A :class:`ModuleSet` loads each file once under a private package name
and answers all three spellings with the same module object, so ``isinstance``
holds across files. The worker uses it for the student's files; the harness
uses it for the reference and for the catalogued mutants (each set isolated
from the others).
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import traceback
import uuid
from pathlib import Path

from grader.core.schema import shorten

MAX_ERROR_CHARS = 2000
#: str.translate table that deletes control characters (ANSI escapes start with one) but keeps newlines and tabs.
CONTROL_CHARACTERS = {c: None for c in range(32) if chr(c) not in "\n\t"} | {0x7f: None}


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
        return text[:MAX_ERROR_CHARS] if type(text) is str else "<unprintable>"
    except BaseException:  # a hostile __str__ must not take the worker down
        return "<unprintable>"


class ModuleLoadError(ImportError):
    """A student module that is missing or failed to import; the message is for the student."""


class _Loader(importlib.abc.Loader):
    def __init__(self, owner: "ModuleSet", stem: str):
        self.owner, self.stem = owner, stem

    def create_module(self, spec):
        return self.owner._module_object(self.stem)

    def exec_module(self, module):
        self.owner._execute(self.stem)


class ModuleSet(importlib.abc.MetaPathFinder):
    """The modules of one submission (or of the reference, or of one mutant).

    ``files`` maps a module name (``"layers"``) to its source file; several
    names may share one file (a single-file submission).
    """

    def __init__(self, package: str, files: dict[str, Path], display_names: dict[str, str] | None = None,
                 replacement=None):
        self.package = package
        #: ``replacement(stem) -> {name: object}``: what a module that fails to import offers its importers instead
        #: (the grader's stand-ins), so that one broken file costs only its own checks. None: importers fail too.
        self.replacement = replacement
        self.files = {name: Path(path) for name, path in files.items()}
        self.display_names = display_names or {}
        #: module name -> why the grader left its file out (too large, damaged): said when it is imported or used
        self.withheld: dict[str, str] = {}
        self.private = f"_nngrade_{uuid.uuid4().hex[:12]}"
        self.modules: dict[str, object] = {}   # canonical stem -> module
        self.state: dict[str, str] = {}        # canonical stem -> pending|running|done|failed
        self._file_specs: dict[str, object] = {}
        self.errors: dict[str, str] = {}       # module name -> student-facing message
        self._canonical: dict[str, str] = {}
        for name, path in self.files.items():
            first = next(n for n, p in self.files.items() if p == path)
            self._canonical[name] = first

    # -- finder ---------------------------------------------------------------
    def _stem_for(self, fullname: str) -> str | None:
        for prefix in (self.private + ".", self.package + ".", ""):
            if fullname.startswith(prefix) and fullname[len(prefix):] in self.files:
                return fullname[len(prefix):]
        for prefix in (self.private + ".", self.package + "."):
            if fullname.startswith(prefix) and self._add_sibling(fullname[len(prefix):]):
                return fullname[len(prefix):]
        return None

    def _add_sibling(self, name: str) -> bool:
        """A helper file of the student's own beside the assignment's modules (``from .model import Model``).

        Plain ``import model`` finds it on ``sys.path``; the relative and package spellings come here.
        """
        if not name.isidentifier():
            return False
        for folder in dict.fromkeys(path.parent for path in self.files.values()):
            candidate = folder / f"{name}.py"
            if candidate.is_file():
                self.files[name] = candidate
                self._canonical[name] = name
                return True
        return False

    def find_spec(self, fullname, path=None, target=None):
        if fullname in (self.private, self.package):
            return importlib.util.spec_from_loader(fullname, _PackageLoader(self), is_package=True)
        stem = self._stem_for(fullname)
        if stem is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Loader(self, stem), origin=str(self.files[stem]))

    # -- loading --------------------------------------------------------------
    def _module_object(self, name: str):
        stem = self._canonical[name]
        if stem not in self.modules:
            path = self.files[stem]
            spec = importlib.util.spec_from_file_location(f"{self.private}.{stem}", path)
            module = importlib.util.module_from_spec(spec)
            module.__package__ = self.private
            self._file_specs[stem] = spec
            self.modules[stem] = module
            self.state[stem] = "pending"
            sys.modules[f"{self.private}.{stem}"] = module
        return self.modules[stem]

    def _execute(self, name: str) -> None:
        stem = self._canonical[name]
        module = self._module_object(stem)
        state = self.state[stem]
        if state in ("running", "done", "replaced"):
            return  # circular imports see the partly initialised module, as in plain Python
        if state == "failed":
            raise ModuleLoadError(self.errors[stem])
        self.state[stem] = "running"
        try:
            # The import system may have replaced __spec__ with an alias's; run the file's own loader.
            module.__spec__ = self._file_specs[stem]
            self._file_specs[stem].loader.exec_module(module)
        except BaseException as exc:
            self.state[stem] = "failed"
            self.errors[stem] = self._describe_failure(stem, exc)
            if isinstance(exc, KeyboardInterrupt):
                raise
            if self._replace(stem, module):
                return
            raise ModuleLoadError(self.errors[stem]) from None
        self.state[stem] = "done"

    def _replace(self, stem: str, module) -> bool:
        """Fill a module that failed to import with its replacement; its own names still fail in :meth:`find`."""
        if self.replacement is None:
            return False
        try:
            offered = self.replacement(stem)
        except Exception:  # noqa: BLE001 - no replacement: its importers fail as before
            return False
        vars(module).update(offered)
        self.state[stem] = "replaced"
        return True

    def _describe_failure(self, stem: str, exc: BaseException) -> str:
        try:
            text = self._explain_failure(stem, exc)
        except BaseException:  # hostile exception attributes
            text = f"{self.display_names.get(stem, self.files[stem].name)} failed to import"
        return shorten(text, MAX_ERROR_CHARS).translate(CONTROL_CHARACTERS)

    def _explain_failure(self, stem: str, exc: BaseException) -> str:
        shown = self.display_names.get(stem, self.files[stem].name)
        if isinstance(exc, ModuleLoadError):
            return f"{shown} could not be imported because {_safe_str(exc)}"
        if isinstance(exc, SystemExit):
            return f"{shown} called exit() while being imported"
        if isinstance(exc, SyntaxError):
            return f"{shown} has a syntax error at line {exc.lineno}: {exc.msg}"
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(self.files[stem])]
        where = f" (line {frames[-1].lineno})" if frames else ""
        if isinstance(exc, ModuleNotFoundError):
            missing = str(exc.name or "").rsplit(".", 1)[-1]
            if missing in self.withheld:  # the student's file exists; the grader left it out
                return f"{shown} imports '{exc.name}'{where}, but {self.withheld[missing]}"
            return (f"{shown} imports '{exc.name}', which is not available to the grader{where}; "
                    "use only numpy and the standard library (and your own files)")
        return f"{shown} raised {type(exc).__name__} while being imported{where}: {_safe_str(exc)}"

    def load_all(self) -> dict[str, str]:
        """Import every module now; returns {module name: error message} for those that failed."""
        sys.meta_path.insert(0, self)
        sys.modules.setdefault(self.private, _package_module(self))
        declared = list(self.files)   # a sibling helper file joins self.files when first imported
        for name in declared:
            try:
                self._execute(name)
            except ModuleLoadError:
                pass
        return {name: self.errors[self._canonical[name]] for name in declared if self._canonical[name] in self.errors}

    def detach(self) -> None:
        """Forget the short aliases (``layers``, ``numpy_nn.layers``) so another set can use them."""
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in list(sys.modules):
            if name == self.package or name.startswith(self.package + ".") or (
                    name in self.files and getattr(sys.modules[name], "__package__", None) == self.private):
                del sys.modules[name]

    def stem_of(self, name: str) -> str | None:
        """The file module ``name`` is loaded from (several names share one file in a single-file submission)."""
        return self._canonical.get(name)

    # -- lookup ---------------------------------------------------------------
    def find(self, attribute: str, home: str):
        """The object ``attribute`` from module ``home`` (or, failing that, from any module)."""
        if home not in self.files:
            missing = f"{home}.py"
            if home in self.withheld:
                raise ModuleLoadError(f"{self.withheld[home]} (it should define {attribute})")
            for module in self._loaded():
                if hasattr(module, attribute):
                    return getattr(module, attribute)
            raise ModuleLoadError(f"no {missing} found in your submission (it should define {attribute})")
        stem = self._canonical[home]
        if stem in self.errors:
            raise ModuleLoadError(self.errors[stem])
        module = self.modules.get(stem)
        if module is not None and hasattr(module, attribute):
            return getattr(module, attribute)
        for other in self._loaded():
            if hasattr(other, attribute):
                return getattr(other, attribute)
        shown = self.display_names.get(stem, self.files[stem].name)
        defined = sorted(n for n, v in vars(module).items()
                         if not n.startswith("_") and callable(v) and getattr(v, "__module__", None) == module.__name__
                         ) if module is not None else []
        found = ", ".join(defined[:12]) or "nothing"
        raise ModuleLoadError(f"{shown} does not define {attribute} (it defines: {found})")

    def _loaded(self):
        return [m for stem, m in self.modules.items() if self.state.get(stem) == "done"]


class _PackageLoader(importlib.abc.Loader):
    def __init__(self, owner: ModuleSet):
        self.owner = owner

    def create_module(self, spec):
        return _package_module(self.owner)

    def exec_module(self, module):
        pass


def _package_module(owner: ModuleSet):
    existing = sys.modules.get(owner.private)
    if existing is not None:
        return existing
    module = type(sys)(owner.private)
    module.__path__ = []
    module.__package__ = owner.private
    sys.modules[owner.private] = module
    return module
