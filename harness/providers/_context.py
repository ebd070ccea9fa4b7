"""What our providers need to know about the sample inspect-ai is running."""

from __future__ import annotations


def current_epoch() -> int:
    """The active sample's epoch (1 outside a sample).

    Epochs repeat the same request; their answers must be distinct journal entries.
    """
    # inspect-ai 0.3.285 has no public accessor for the running sample; pinned, so this private import holds.
    from inspect_ai.log._samples import sample_active

    active = sample_active()
    return active.epoch if active is not None else 1
