"""The mentions app's logic (seed 000): the MentionMind client, so far."""
