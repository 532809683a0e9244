"""Feedback: the reports (report.md, report.html, plots) and the class outputs (gradebook.csv, summary.html), built
from results.json data alone; it imports nothing of grading but :mod:`grader.core`."""
