"""Bundled data: the price table and the speed model (JSON, each naming its source and date)."""
