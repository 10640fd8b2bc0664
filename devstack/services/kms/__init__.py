"""KMS: keys (made-up outputs; nothing local encrypts)."""
