"""appeals/projections."""
