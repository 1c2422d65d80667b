"""What a finished search is judged by: the benchmark (:mod:`.benchmark`), the champion's
holdout and the search's own statistics (:mod:`.champion`), the seed ensemble's validation
(:mod:`.seeds`), the verdict (:mod:`.verdict`) and the stitched out-of-sample track of
``evofolio validate`` (:mod:`.stitched`)."""
