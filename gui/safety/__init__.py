"""Protection levels on screen (issue 12): the level badge, Save's SQL confirmation, and unlocking a read-only
connection with a reason."""
