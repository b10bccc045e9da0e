"""Playlist engine: pure Python, no Home Assistant imports."""
