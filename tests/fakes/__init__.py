"""Test fakes for the services Harmoniq talks to (Plex Media Server)."""
