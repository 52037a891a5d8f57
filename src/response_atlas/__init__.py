"""Community Response Atlas: 911 calls, crisis-team coverage and outcomes for Hamilton County."""

__version__ = "0.1.0"
