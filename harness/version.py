"""The version of harness, in one place (also the routing table's `harness_version`)."""

__version__ = "0.1.0"
