"""Read models: projections of the event log, kept live by a worker and
rebuilt from all history on demand (docs/projections.md)."""
