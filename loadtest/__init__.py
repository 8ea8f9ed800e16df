"""LAM Mesh load test: an open-loop load generator, baselines, scenarios and a small process launcher.

    python -m loadtest bench      # what `make bench` runs
    python -m loadtest soak       # what `make soak` runs

See BENCHMARKS.md for recorded figures and docs/decisions/0500-* for the method.
"""
