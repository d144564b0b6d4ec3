"""The customer service: customers, contacts, follow-ups, leads, contracts, collision search."""
