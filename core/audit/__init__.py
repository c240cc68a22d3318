"""The audit log above the save path: its entries listed and filtered, revert, and its creation on consent.

The entries themselves are written by core/data/audit_trail.py inside each save's transaction.
"""
