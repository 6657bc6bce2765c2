"""The `cloudburst` command."""
