"""The `pii` watcher: personal data, secrets and internal markers, with spans."""
