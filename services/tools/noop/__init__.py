"""The `noop` tool: echoes its input; can be told to fail or delay, to measure and test the mesh."""
