"""Channel router: validate a conversation request, check the company config, queue it."""
