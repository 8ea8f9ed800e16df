"""The `injection` watcher: prompt injection and jailbreak in step inputs and tool results."""
