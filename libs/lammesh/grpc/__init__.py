"""gRPC adapters: the aio server bootstrap (health, reflection, interceptors) and client helpers."""
