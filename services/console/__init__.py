"""The web console service: review queue, tasks, timelines, registry (docs/console.md)."""
