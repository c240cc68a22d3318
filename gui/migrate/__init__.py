"""The migration runner: status, lint, SQL preview, drift, upgrade and downgrade with backups."""
