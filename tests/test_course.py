"""Course folders: which course a command uses, ``course.toml``, and what ``init`` and ``new`` write."""
import json
import os

import pytest

from grader.authoring.course import CourseFolderError, init_course, new_assignment
from grader.core.assignment import Assignment
from grader.core.course import CourseError, course_name
from grader.core.paths import COURSE_VARIABLE, builtin_course, find_course


def test_the_course_is_the_variable_then_the_nearest_course_toml_then_the_built_in_one(tmp_path, monkeypatch):
    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "a" / "inner"
    inner.mkdir(parents=True)
    assert find_course(inner).root == builtin_course()
    (outer / "course.toml").write_text('name = "outer"\n')
    assert find_course(inner).root == outer
    (inner / "course.toml").write_text("")
    assert find_course(inner).root == inner
    monkeypatch.setenv(COURSE_VARIABLE, str(outer))
    assert find_course(inner).root == outer and COURSE_VARIABLE in find_course(inner).reason


def test_course_toml_errors_name_the_file_and_the_fix(tmp_path):
    assert course_name(tmp_path) == tmp_path.name
    (tmp_path / "course.toml").write_text('name = "Neural networks"\n')
    assert course_name(tmp_path) == "Neural networks"
    for text, words in (("name = ", "not valid TOML"), ('title = "x"\n', "unknown key(s) title"),
                        ("name = 3\n", "non-empty string")):
        (tmp_path / "course.toml").write_text(text)
        with pytest.raises(CourseError, match="course.toml") as raised:
            course_name(tmp_path)
        assert words in str(raised.value)


def test_init_copies_the_built_in_course_and_refuses_a_used_folder(tmp_path):
    names = init_course(tmp_path / "c", name='Say "hi"')
    assert names == ["backprop", "cnn", "numpy_nn", "torch_basics"]
    assert course_name(tmp_path / "c") == 'Say "hi"'
    assert (tmp_path / "c" / "assignments" / "numpy_nn" / "checks" / "expected.json").is_file()
    assert not list((tmp_path / "c").rglob("__pycache__"))
    with pytest.raises(CourseFolderError, match="not an empty folder"):
        init_course(tmp_path / "c")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CourseFolderError, match="not an empty folder"):
        init_course(tmp_path / "file", empty=True)


@pytest.mark.parametrize("kind", ["modules", "notebook"])
def test_new_writes_a_complete_assignment_of_its_kind(tmp_path, kind):
    init_course(tmp_path, empty=True)
    root = new_assignment(tmp_path, "relu_intro", kind)
    assignment = Assignment.from_dir(root)
    assert assignment.kind == kind and assignment.has_reference and assignment.modules
    assert [f.name for f in assignment.check_files(public_only=True)] == ["test_public_relu.py"]
    assert len(assignment.check_files()) == 2
    assert "${" not in "".join(p.read_text() for p in root.rglob("*") if p.is_file())
    if kind == "notebook":
        notebook = json.loads((root / "relu_intro" / "relu_intro.ipynb").read_text())
        assert any("instructor" in c["metadata"].get("tags", []) for c in notebook["cells"])
    with pytest.raises(CourseFolderError, match="already exists"):
        new_assignment(tmp_path, "relu_intro", kind)
    with pytest.raises(CourseFolderError, match="Python identifier"):
        new_assignment(tmp_path, "relu-intro", kind)
    for taken in ("json", "numpy", "grader"):
        with pytest.raises(CourseFolderError, match="already means a module"):
            new_assignment(tmp_path, taken, kind)
    assert sorted(p.name for p in (tmp_path / "reference").iterdir()) == ["relu_intro"]  # no staging left


def test_a_command_run_in_process_names_its_course_and_leaves_the_environment_as_it_was(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from grader.cli import main

    monkeypatch.delenv(COURSE_VARIABLE, raising=False)
    init_course(tmp_path / "c", name="Winter", empty=True)
    monkeypatch.chdir(tmp_path / "c")
    outcome = CliRunner().invoke(main, ["list"])
    assert outcome.exit_code == 0 and f"course: Winter, {tmp_path / 'c'}" in outcome.output
    assert COURSE_VARIABLE not in os.environ
