"""The empty RQ job `make bench` compares `order.payment_success` jobs with."""

from __future__ import annotations


def empty_job() -> None:
    """Does nothing: what is left is RQ's and the worker's own cost per job."""
    return None
