"""The ACK / gap state of MDTs (one implementation for the device and the simulated fleet)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openamr.field.mdt.delivery import DeliveryLog
from openamr.frames import NO_SEQ


def test_new_records_then_gaps_then_timeout() -> None:
    log = DeliveryLog(2)
    assert log.next_new(0, closed_end=250, per_frame=120) == (0, 120)
    log.mark_sent(0, 120)
    assert log.next_new(0, 250, 120) == (120, 240)
    log.mark_sent(0, 240)
    log.on_ack(0, 99, ((110, 115), (300, 310)))
    assert log.acked_end[0] == 100
    # the gap within what was sent is offered; the one beyond is dropped when reached
    assert log.next_gap(0, closed_end=250, per_frame=120) == (110, 116)
    log.gap_sent(0, 116)
    assert log.next_gap(0, 250, 120) is None
    # an ACK never acknowledges what was not sent
    log.on_ack(0, 500)
    assert log.acked_end[0] == 240
    assert not log.on_timeout(0)
    log.mark_sent(0, 250)
    assert log.on_timeout(0)
    assert log.next_gap(0, 250, 5) == (240, 245)
    log.gap_sent(0, 245)
    assert log.next_gap(0, 250, 5) == (245, 250)
    # the other row is untouched
    assert (log.sent_end[1], log.acked_end[1], list(log.gaps[1])) == (0, 0, [])


def test_the_buffer_horizon_hides_old_records() -> None:
    log = DeliveryLog(1)  # 35 days: 3,360 records
    assert log.depth == 3360
    assert log.next_new(0, closed_end=5000, per_frame=120) == (1640, 1760)
    log.mark_sent(0, 1760)
    log.on_ack(0, NO_SEQ, ((0, 1700),))
    assert log.next_gap(0, closed_end=5010, per_frame=120) == (1650, 1701)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-1, 400)), max_size=40),
       st.lists(st.integers(0, 400), min_size=4, max_size=4))
def test_acknowledge_all_mirrors_on_ack_row_by_row(acks: list[tuple[int, int]],
                                                    sent: list[int]) -> None:
    """The vectorised path gives the state the scalar one gives, for every MDT."""
    scalar, batch = DeliveryLog(4), DeliveryLog(4)
    for row, end in enumerate(sent):
        scalar.mark_sent(row, end)
        batch.mark_sent(row, end)
    for row, seq in acks:
        seq = NO_SEQ if seq < 0 else seq
        scalar.on_ack(row, seq)
        column = [NO_SEQ] * 4
        column[row] = seq
        batch.acknowledge_all(column)
    assert batch.acked_end == scalar.acked_end
    assert batch.pending(450).tolist() == [450 - a for a in scalar.acked_end]
