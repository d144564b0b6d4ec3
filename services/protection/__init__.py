"""The ``protection`` service: who may work which customer, and for how long."""
