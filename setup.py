"""The wheel carries the project's course: ``nngrade init`` copies it, and commands fall back to it.

pyproject.toml holds the metadata; this only adds a build step that copies the course folders
(reference/, assignments/, samples/, templates/ and course.toml) into ``grader/builtin_course/`` of the build
(see grader.core.paths.WHEEL_COURSE). An editable install needs no copy: it runs from the checkout, a course.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COURSE_PARTS = ("reference", "assignments", "samples", "templates")
NOT_COPIED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ipynb_checkpoints", "*.tmp-release")


class BuildWithCourse(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "grader" / "builtin_course"
        shutil.rmtree(target, ignore_errors=True)
        for part in COURSE_PARTS:
            shutil.copytree(ROOT / part, target / part, ignore=NOT_COPIED)
        shutil.copyfile(ROOT / "course.toml", target / "course.toml")


setup(cmdclass={"build_py": BuildWithCourse})
