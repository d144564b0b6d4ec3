"""Notify use cases, dispatchers and schedulers."""
