"""csvchat (seed 003): CSV uploads turned into tables Athena can query, per signed-in user."""
