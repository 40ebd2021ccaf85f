"""Applying dictionaries to records (placeholder until re-apply lands)."""
from __future__ import annotations


def reapply(config, conn) -> int:
    """Re-apply every dictionary to the stored records; returns how many changed."""
    return 0
