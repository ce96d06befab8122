"""appeals."""
