"""The audit viewer: the audit log's entries with filters, their fields before and after, and Revert."""
