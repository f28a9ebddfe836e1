"""Tamper events of the site file: the MDT sends tamper.cover_removed / cover_replaced, sealed,
to the head-end (once each), and flags the intervals the cover was open; the records come from
the MDT room's ``MdtFleet`` (TOU registers, flags)."""

import itertools

from openamr.field.mesh.mdt_node import MdtNode
from openamr.frames import DeviceRole as R
from openamr.frames import EventKind, Frame, FrameType, IntervalFlag, Intervals, peek_header

H = 3600.0
ROLES = [R.DCAP, R.REPEATER, R.MDT, R.MDT]
LINKS = [(0, 1, -70.0, 1.0), (1, 2, -80.0, 0.97), (1, 3, -80.0, 0.97)]


def test_tamper_events_reach_the_head_end_and_flag_intervals(mesh) -> None:
    frames: list[bytes] = []
    run, he, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 300, 300], days=1,
                       tampers={2: ((6 * H, 1800.0),), 3: ((8 * H, None),)})
    inner = run.net.backhaul

    def tap(batch: list[bytes], sim_t_s: float) -> list[bytes]:
        frames.extend(batch)
        return inner(batch, sim_t_s)

    run.net.backhaul = tap
    run.run(1)
    m2, m3 = run.nodes[2], run.nodes[3]
    assert isinstance(m2, MdtNode)
    assert isinstance(m3, MdtNode)
    kinds = {src: he.event_codes(src) for src in (m2.eui, m3.eui)}
    assert kinds[m2.eui] == [EventKind.TAMPER_COVER_REMOVED.code,
                             EventKind.TAMPER_COVER_REPLACED.code]
    assert kinds[m3.eui] == [EventKind.TAMPER_COVER_REMOVED.code]
    assert not m2.events.pending()
    assert not m3.events.pending()
    assert he.rejected == {}
    # the intervals of m2 overlapping [6 h, 6.5 h) carry TAMPER_OPEN, the others do not
    flagged: dict[int, bool] = {}
    for data in frames:
        if peek_header(data).frame_type != FrameType.INTERVALS or peek_header(data).src != m2.eui:
            continue
        payload = Frame.from_bytes(data, he.network_key).payload
        assert isinstance(payload, Intervals)
        # records come from the MDT room's fleet: TOU registers (no schedule sent: stale)
        assert len(payload.tou_register_wh) == 4
        assert sum(payload.tou_register_wh) == payload.register_wh
        for r in payload.records:
            assert r.flags & IntervalFlag.TOU_STALE
            flagged[r.seq] = bool(r.flags & IntervalFlag.TAMPER_OPEN)
    opened = {seq for seq, f in flagged.items() if f}
    assert opened == {seq for seq in flagged
                      if 6 * H <= (m2.first_interval + seq) * 900 < 6.5 * H}
    assert opened


def test_temperature_variants_send_a_temperature_in_every_record(mesh) -> None:
    import dataclasses

    frames: list[bytes] = []
    run, he, sc = mesh(ROLES, LINKS, power_on_s=[0, 30, 300, 300], days=0.5)
    nodes = list(sc.nodes)
    nodes[2] = dataclasses.replace(nodes[2], model="MMSMT-D02")
    nodes[3] = dataclasses.replace(nodes[3], model="MMSMT-E02")
    from openamr.field.sim.runner import SimRun

    run = SimRun(dataclasses.replace(sc, nodes=tuple(nodes)), run.net.backhaul)
    inner = run.net.backhaul

    def tap(batch: list[bytes], sim_t_s: float) -> list[bytes]:
        frames.extend(batch)
        return inner(batch, sim_t_s)

    run.net.backhaul = tap
    run.run(0.5)
    temps: dict[int, list[float | None]] = {2: [], 3: []}
    for data in frames:
        h = peek_header(data)
        if h.frame_type != FrameType.INTERVALS:
            continue
        payload = Frame.from_bytes(data, he.network_key).payload
        assert isinstance(payload, Intervals)
        idx = next(i for i in (2, 3) if run.nodes[i].eui == h.src)
        temps[idx].extend(r.temperature_c for r in payload.records)
    for values in temps.values():
        assert len(values) > 20
        assert all(v is not None and 15.0 < v < 27.0 for v in values)


def test_a_tou_schedule_from_the_head_end_ends_tou_stale(mesh) -> None:
    from openamr.frames import TouSchedule

    frames: list[bytes] = []
    run, he, sc = mesh(ROLES, LINKS, power_on_s=[0, 30, 300, 300], days=1)
    inner = run.net.backhaul

    def tap(batch: list[bytes], sim_t_s: float) -> list[bytes]:
        frames.extend(batch)
        return inner(batch, sim_t_s)

    run.net.backhaul = tap
    run.kernel.run(6 * H)
    m2 = run.nodes[2]
    assert isinstance(m2, MdtNode)
    assert m2.joined
    # register 1 from 08:00 to 12:00 UTC, register 0 otherwise, for the day
    day = sc.epoch_s
    payload = TouSchedule(2, ((day + 8 * 3600, 1), (day + 12 * 3600, 0)))
    data = Frame(sc.nodes[0].eui, m2.eui, 1, payload).to_bytes(he.network_key)
    m2.receive_down(data)
    assert m2.tou_schedules == 1
    run.run(1)
    records: dict[int, tuple[int, int]] = {}
    last_tou: tuple[int, ...] = ()
    for data in frames:
        h = peek_header(data)
        if h.frame_type != FrameType.INTERVALS or h.src != m2.eui:
            continue
        payload_in = Frame.from_bytes(data, he.network_key).payload
        assert isinstance(payload_in, Intervals)
        for r in payload_in.records:
            records[r.start_s] = (int(r.flags), r.energy_wh)
        last_tou = payload_in.tou_register_wh
    after = {s: f for s, (f, _) in records.items() if 6 * H + 900 <= s - day < 24 * H}
    before = {s: f for s, (f, _) in records.items() if s - day < 6 * H - 900}
    assert after
    assert all(not f & IntervalFlag.TOU_STALE for f in after.values())
    assert before
    assert all(f & IntervalFlag.TOU_STALE for f in before.values())
    # register 1 got exactly the 08:00-12:00 energy of the stored records
    peak_wh = sum(e for s, (_, e) in records.items() if 8 * H <= s - day < 12 * H)
    assert last_tou[1] == peak_wh > 0
    assert sum(last_tou) == sum(e for _, e in records.values())


def test_the_e02_reports_temperature_changes_as_events(mesh) -> None:
    import dataclasses

    from openamr.field.sim.runner import SimRun

    run, he, sc = mesh(ROLES, LINKS, power_on_s=[0, 30, 300, 300], days=2)
    nodes = list(sc.nodes)
    nodes[3] = dataclasses.replace(nodes[3], model="MMSMT-E02")
    run = SimRun(dataclasses.replace(sc, nodes=tuple(nodes)), run.net.backhaul)
    run.run(2)
    e02 = run.nodes[3]
    rows = he.store.list_events(device_id=f"{e02.eui:016x}", limit=1000)
    changes = sorted((e.t_s, e.value) for e in rows if e.code == "temperature.changed")
    # a 21 degC room with a daily +-1.5 degC swing: several 1 K changes a day, in 0.01 degC
    assert len(changes) >= 4
    values = [v / 100.0 for _, v in changes]
    assert all(15.0 < v < 27.0 for v in values)
    assert all(abs(b - a) >= 1.0 - 1e-9 for a, b in itertools.pairwise(values))
    assert he.event_codes(run.nodes[2].eui).count("temperature.changed") == 0  # a C02
