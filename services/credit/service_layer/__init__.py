"""Credit use cases, schedulers and the unit of work they run in."""
