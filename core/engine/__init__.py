"""Opening databases: URLs and paths, per-dialect setup, interrupts, the slow-statement log."""
