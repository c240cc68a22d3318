"""The table editor's dialogs: conflicts, delete and paste previews, export, revert."""
