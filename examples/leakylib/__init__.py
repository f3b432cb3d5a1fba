"""A stand-in for a small in-house web helper library, used by ../leaky_service.py."""
