"""Evaluations of the watchers on frozen data written outside their code and tests (evaluation/frozen/)."""
