"""Tests for Appeal Ledger."""
