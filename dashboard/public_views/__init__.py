"""Pages of the public equity site (read only the published snapshot files)."""
