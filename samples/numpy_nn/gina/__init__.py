"""Gina's numpy_nn package (assignment 3)."""
