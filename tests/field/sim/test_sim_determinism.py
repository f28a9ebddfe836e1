from openamr.frames import DeviceRole as R

ROLES = [R.DCAP, R.REPEATER, R.REPEATER, R.MDT, R.MDT, R.MDT, R.MDT]
LINKS = [(0, 1, -80.0, 0.97), (1, 2, -90.0, 0.9), (0, 2, -99.0, 0.6), (0, 3, -97.0, 0.7),
         (1, 4, -85.0, 0.95), (2, 5, -93.0, 0.85), (1, 6, -96.0, 0.75), (2, 6, -94.0, 0.8)]


def _summary(mesh, seed: int) -> dict:
    run, he, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 150, 300, 300, 300, 300], days=1,
                      seed=seed)
    s = run.run(1)
    s.pop("wall_s")
    s["stored"] = sorted((eui, sorted(he.intervals(eui).items())) for eui in he.meter_of)
    return s


def test_same_seed_gives_an_identical_summary(mesh) -> None:
    assert _summary(mesh, 11) == _summary(mesh, 11)


def test_another_seed_gives_another_run(mesh) -> None:
    a, b = _summary(mesh, 11), _summary(mesh, 12)
    assert (a["duplicates_dropped"], a["events"]) != (b["duplicates_dropped"], b["events"])
