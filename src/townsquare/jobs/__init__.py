"""Background work. Embedded mode runs jobs in-process; the scale issue adds a real queue."""
