"""The gateway: gRPC TaskService, ReviewService and FeedbackService over a read model of tasks.state/tasks.events."""
