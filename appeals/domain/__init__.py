"""appeals/domain."""
