"""Warden's screens (PySide6). Every core call goes through gui.runtime.workers; nothing here builds SQL."""
