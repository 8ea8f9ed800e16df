"""LAM Mesh load test: an open-loop load generator, baselines, scenarios and a small process launcher.

    python -m loadtest bench      # what `make bench` runs
    python -m loadtest soak       # what `make soak` runs
    python -m loadtest chaos      # what `make chaos` runs: faults under load, then the invariants (loadtest/chaos.py)

See BENCHMARKS.md for recorded figures and docs/decisions/0500-* for the method.
"""
