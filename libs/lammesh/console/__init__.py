"""The web console (`lammesh run console`): review queue, tasks and their timelines, the
capability registry and model versions, all through the gateway (docs/console.md)."""
