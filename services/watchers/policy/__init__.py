"""The `policy` watcher: tool-call arguments against the rules a workflow declares."""
