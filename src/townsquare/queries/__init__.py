"""Read paths. Each owns its query shape and hydrates in batches: a page costs a fixed
number of queries, whatever its size."""
