"""Tool adapters: step services that act on outside systems (or, for noop, on nothing)."""
