"""The gateway: gRPC TaskService and ReviewService over a read model of tasks.state/tasks.events."""
