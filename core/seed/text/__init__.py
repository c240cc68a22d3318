"""Word lists and small text generators that make the demo data read like a game and a shop."""
