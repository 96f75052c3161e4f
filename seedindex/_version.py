"""The version of seedindex (setup.cfg reads it from here)."""

__version__ = "0.3.0"
