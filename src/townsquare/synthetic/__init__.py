"""A synthetic public square: a seeded network generator and a fast bulk loader."""
