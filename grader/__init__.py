"""nngrade: exercises and trustworthy grading for a neural-networks course."""
__version__ = "0.1.0"
