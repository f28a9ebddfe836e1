"""Retention: old rejection rows and delivered outbox keys are deleted ( ``[retention]``).

Rejections keep the raw bytes of every refused frame for diagnosis; the outbox keeps the
idempotency key of every delivered message so that a re-enqueue is recognised.  Both grow
without bound on a busy head-end.  ``openamr serve`` calls :func:`apply_retention` every
``[retention] prune_interval_s``: rejection rows older than ``rejections_keep_days`` and
delivered outbox items done more than ``outbox_delivered_keep_days`` ago are deleted (0 keeps
them for ever).  Counts of rejections by reason are kept; undelivered items are never deleted.
A key pruned after its retention period can be queued again: keep it longer than any source
could resend (the MDT buffer is 35 days).
"""

from __future__ import annotations

import logging

from openamr.headend.settings import RetentionSettings
from openamr.headend.store.protocols import RetentionStore

__all__ = ["apply_retention"]

log = logging.getLogger("openamr.retention")

DAY_S = 86_400


def apply_retention(store: RetentionStore, settings: RetentionSettings,
                    now_s: int) -> tuple[int, int]:
    """Delete what is past its retention at ``now_s`` [UTC epoch s]; returns (rejection rows,
    outbox items) deleted."""
    rejections_before = (now_s - settings.rejections_keep_days * DAY_S
                         if settings.rejections_keep_days > 0 else None)
    delivered_before = (now_s - settings.outbox_delivered_keep_days * DAY_S
                        if settings.outbox_delivered_keep_days > 0 else None)
    if rejections_before is None and delivered_before is None:
        return 0, 0
    rejections, outbox = store.prune(rejections_before, delivered_before)
    if rejections or outbox:
        log.info("retention: deleted %d rejection rows and %d delivered outbox keys",
                 rejections, outbox)
    return rejections, outbox
