"""The `loop` watcher: runaway behaviour (repetition, retry storms, fan-out, token budgets)."""
