"""Building blocks the systems are composed of; one ComponentResource per concern."""
