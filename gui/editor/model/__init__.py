"""The table editor's model: the row window, staging, history, and the thin Qt adapter."""
