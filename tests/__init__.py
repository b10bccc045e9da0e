"""Tests for the Harmoniq integration."""
