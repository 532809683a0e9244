"""``nngrade init`` and ``nngrade new``: the commands of an instructor's course folder (grader.authoring.course)."""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from grader.authoring.course import (
    KINDS,
    CourseFolderError,
    init_course,
    new_assignment,
)
from grader.cli_options import own_course

console = Console(highlight=False)


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--name", help="The course's name in course.toml [default: the folder's name].")
@click.option("--empty", is_flag=True, help="Start with no assignment instead of the four of nngrade's own course.")
def init(folder, name, empty):
    """Make FOLDER an instructor's course folder: course.toml, reference/, assignments/, samples/, templates/.

    Every nngrade command run in FOLDER, or in a folder below it, then uses this course.
    """
    try:
        names = init_course(folder, name=name, empty=empty)
    except CourseFolderError as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"Created the course folder {folder}" + (f" with {', '.join(names)}" if names else " (empty)"),
                  soft_wrap=True, markup=False)
    console.print(f"Next: cd {folder} && nngrade new my_assignment --kind modules (or --kind notebook); "
                  "see docs/authoring.md", soft_wrap=True, markup=False)


@click.command()
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), default="modules", show_default=True,
              help="modules: students write a Python package; notebook: students fill in a Jupyter notebook.")
def new(name, kind):
    """Scaffold reference/NAME in the current course: one function, a public and a hidden check, a probe and a
    catalogued mistake, ready for `nngrade validate NAME`."""
    try:
        target = new_assignment(own_course(), name, kind)
    except CourseFolderError as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"Created {target} ({kind}). Edit it, then: nngrade validate {name} && nngrade release {name}",
                  soft_wrap=True, markup=False)
