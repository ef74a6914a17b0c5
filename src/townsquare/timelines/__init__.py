"""Home-timeline storage behind one interface: SQL table (embedded default) or Redis (scale)."""
