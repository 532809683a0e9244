"""Authoring, for the instructor: ``release`` (the student bundle, as a list of small steps), ``validate`` (the proof
of an assignment's checks) and the Gradescope autograder bundle."""
