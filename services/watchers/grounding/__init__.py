"""The `grounding` watcher: each sentence of an output must be supported by the step's sources."""
