"""trends (seed 002): YouTube trend detection and ranking."""
