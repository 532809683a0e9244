"""Layer 3, submissions: a folder, zip, ``.py`` or notebook copied in safely and laid out for a worker (never run)."""
