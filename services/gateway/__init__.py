"""The gateway service: gRPC TaskService and ReviewService for clients and the CLI."""
