"""Layer 5, the engine: grading one submission. One strategy per kind of assignment (:mod:`~grader.engine.kinds`),
the pytest session that runs its checks (:mod:`~grader.engine.session`), and results.json
(:mod:`~grader.engine.results`)."""
