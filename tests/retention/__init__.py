"""Retention and erasure: limits applied on a moved clock, and the staff erase action."""
