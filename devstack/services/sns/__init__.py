"""SNS: topics, their policies and subscriptions (moto delivers what is published)."""
