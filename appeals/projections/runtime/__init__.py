"""The projection runtime: storage, tracking, the runner, workers and rebuilds."""
