"""Pure customer domain: rules, validation, normalisation. No I/O, no generated code."""
