"""Pure customer domain: the Customer, Contract and Lead aggregates, their events and
permissions, and the rules, validation and normalisation they use. No I/O, no
generated code."""
