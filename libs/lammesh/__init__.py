"""LAM Mesh shared runtime: settings, logging, Kafka and gRPC adapters, the step runtime, the CLI."""

__version__ = "0.1.0"
