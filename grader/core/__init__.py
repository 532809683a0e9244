"""Layer 1, core: paths, assignment configuration and the plain types every other layer shares.

Nothing here imports any other part of ``grader``.
"""
