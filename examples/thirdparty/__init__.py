"""A stand-in for a third-party package the application does not own, used by ../steady_leak.py."""
