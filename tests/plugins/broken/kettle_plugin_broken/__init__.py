"""Test plugin whose entry points fail: one at import, one while listing its devices."""
