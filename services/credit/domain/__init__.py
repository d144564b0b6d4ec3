"""Pure credit rules: no protobuf, no database, no broker."""
