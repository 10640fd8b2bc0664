"""trends (seed 002): trending YouTube topics found, ranked and stored."""
