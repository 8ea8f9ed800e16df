"""Prompt-injection and jailbreak detection: a corpus generator, heuristics, a trained head, and
the ensemble the `injection` watcher serves."""
