"""appeals/infra."""
