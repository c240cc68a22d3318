"""Warden's screens (PySide6). Every core call goes through gui.workers; nothing here builds SQL."""
