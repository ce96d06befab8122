"""Tests of the infrastructure layer and of the test infrastructure."""
