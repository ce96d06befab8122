"""The command line: `appeals` and its command groups."""
