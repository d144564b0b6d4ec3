"""Pure notify rules: no protobuf, no database, no network."""
