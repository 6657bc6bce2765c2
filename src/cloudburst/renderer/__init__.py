"""The renderer container program: one scene in, one MP4 out, behind an HTTP API."""
