"""Pure domain model of ownership protection: no database, no gRPC, no broker.

Every operation takes ``now`` (timezone-aware UTC) explicitly; nothing here
reads a clock. A claim past its deadline counts as ended in every read and
every write, whether or not a timer has fired yet.
"""
