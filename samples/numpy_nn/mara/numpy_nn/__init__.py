"""Mara's numpy_nn: everything in float32 (half the memory, like the GPU frameworks)."""
