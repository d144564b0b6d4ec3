"""gRPC servicer and event consumer of the credit service."""
