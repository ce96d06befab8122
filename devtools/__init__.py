"""Development tools shared by tests/ and bench/ (the throwaway PostgreSQL cluster)."""
