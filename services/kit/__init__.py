"""Pure, business-neutral helpers more than one service uses (no I/O, no service code)."""
