"""The jobs built on the search: ``run``/``evolve`` (:mod:`.run`, writing the run directory
with :mod:`.run_files`), ``validate``, the nested walk-forward of whole searches
(:mod:`.nested`), and the hand-off of a study shared by several machines (:mod:`.handoff`)."""
