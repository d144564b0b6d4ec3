"""Credit SQL repositories and the event codec."""
