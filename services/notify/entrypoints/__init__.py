"""gRPC servicer, event consumer and HTTP callbacks of the notify service."""
