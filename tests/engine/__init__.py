"""Tests for the pure-Python playlist engine."""
