"""`make eval-watchers`: the watchers measured on frozen evaluation sets they were not built from.

The sets live in `evaluation/frozen/<watcher>/` at the top of the repository, each with a README
saying where every case came from and a SHA256SUMS that the runner checks before it measures:
a set that changed without a recorded decision is refused. Nothing that builds, tunes or
calibrates a model may read them (`tests/unit/models/test_frozen_eval.py` checks the training
code does not).
"""
