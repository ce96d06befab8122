"""appeals/http."""
