"""A class at once: ``grade-batch`` on a local pool of harness processes or a Dask cluster, resumable, and ``demo``."""
