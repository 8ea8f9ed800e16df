"""The saga coordinator's adapters: Faust stream + table, watcher calls, proto mapping."""
