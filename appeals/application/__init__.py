"""The application floor: executes commands and answers queries over the domain."""
