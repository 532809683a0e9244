"""Final grading runs student code only under strong isolation, unless the instructor accepts less.

Below a strong level (:data:`grader.sandbox.isolation.STRONG_LEVELS`) student
code could read the course's hidden checks and reference, reach the network or
signal the grader, so ``grade``, ``grade-batch`` and the Gradescope autograder
refuse to run there unless told ``--allow-weak-sandbox``; the level and its
warning then go into every report. A student's self-check (``check``) runs the
student's own code on their own machine and may run weak.
"""
from __future__ import annotations

from grader.core.assignment import Assignment
from grader.sandbox import isolation
from grader.sandbox.level import LevelUnavailable, current_level

#: What each strong level needs, for the refusal's fix.
STRONG_REQUIREMENTS = {
    "userns": "a Linux kernel that lets unprivileged processes make user namespaces "
              "(sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also "
              "kernel.apparmor_restrict_unprivileged_userns=0; in Docker, --security-opt seccomp=unconfined)",
    "bwrap+uid": "root and bubblewrap (apt-get install bubblewrap)",
}
ALLOW_FLAG = "--allow-weak-sandbox"


class WeakSandboxRefused(RuntimeError):
    """Final grading was asked for below a strong isolation level, without --allow-weak-sandbox."""


def sandbox_of(assignment: Assignment, cheap: bool = False) -> dict:
    """The level workers of ``assignment`` get on this machine (``current_level``'s dict); a level
    ``NNGRADE_SANDBOX`` asked for and this machine cannot give is refused here too. ``cheap``: ask a fork
    server that preloads numpy only (where this process will not grade, e.g. a batch's parent)."""
    try:
        return current_level(("numpy",), packages=()) if cheap else current_level(assignment.preload,
                                                                                     packages=assignment.packages)
    except LevelUnavailable as exc:
        raise WeakSandboxRefused(str(exc)) from None


def refusal(sandbox: dict) -> str:
    needs = "; ".join(f"{level}: {STRONG_REQUIREMENTS.get(level, 'see docs/sandbox.md')}"
                      for level in isolation.STRONG_LEVELS)
    return (f"refusing to grade: student code would run at sandbox level {sandbox['level']!r}, below the strong "
            f"levels ({', '.join(isolation.STRONG_LEVELS)}): {sandbox.get('warning') or 'weak isolation'}. "
            f"Fix: give this machine what a strong level needs ({needs}), or accept the risk with {ALLOW_FLAG} "
            "(the reports then say the isolation was weak)")


def require_strong(assignment: Assignment, allow_weak: bool) -> dict:
    """The sandbox final grading will use; raises :class:`WeakSandboxRefused` below a strong level unless
    ``allow_weak``."""
    sandbox = sandbox_of(assignment)
    if not sandbox["strong"] and not allow_weak:
        raise WeakSandboxRefused(refusal(sandbox))
    return sandbox


def describe(sandbox: dict, self_check: bool = False, allowed: bool = True) -> str:
    """One line for the terminal: the level, and what it means (``allowed``: weak isolation was accepted)."""
    if sandbox.get("strong"):
        return f"sandbox: {sandbox['level']} (strong isolation)"
    if self_check:
        return (f"sandbox: {sandbox['level']} (weak isolation: fine for checking your own code; final grading "
                "uses a strong level)")
    if not allowed:
        return f"sandbox: {sandbox['level']} (WEAK isolation)"
    return f"sandbox: {sandbox['level']} (WEAK isolation, allowed by {ALLOW_FLAG}): {sandbox.get('warning', '')}"
