"""A module only worker processes import (sent to them by tests/test_cpu.py)."""


def touch() -> None:
    """Never called: sending it to a worker is what imports this module there."""
