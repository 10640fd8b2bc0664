"""AWS Budgets: budgets with their notifications, as declared."""
