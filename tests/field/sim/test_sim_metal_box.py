"""Manual §1: an MDT inside a closed metal box does not join; its back-off saves its battery."""

from openamr.field.mdt.power_states import PowerParams
from openamr.field.mesh.mdt_node import MdtNode
from openamr.field.radio import RadioParams
from openamr.frames import DeviceRole as R

BOX_LOSS_DB = RadioParams().metal_box_loss_db
OPEN_RSSI_DBM = -82.0
ROLES = [R.DCAP, R.REPEATER, R.MDT, R.MDT]
# MDT 2 is in the open; MDT 3 is in a closed metal box at the same spot
LINKS = [(0, 1, -75.0, 1.0), (1, 2, OPEN_RSSI_DBM, 0.99),
         (1, 3, OPEN_RSSI_DBM - BOX_LOSS_DB, 0.6)]


def test_an_mdt_in_a_metal_box_does_not_join_and_backs_off(mesh) -> None:
    run, _, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 120, 120], days=2)
    summary = run.run(2)
    open_mdt, boxed = run.nodes[2], run.nodes[3]
    assert isinstance(boxed, MdtNode)
    assert open_mdt.joined
    assert not boxed.joined
    # searched several times, but backed off to the 4 h cap: about a dozen searches in 2 days
    assert 4 <= boxed.searches <= 20
    assert boxed.battery_projection_years() > 1.0
    assert summary["joined"]["mdt"] == 1


def test_without_back_off_the_same_mdt_drains_its_battery_within_a_year(mesh) -> None:
    run, _, _ = mesh(ROLES, LINKS, power_on_s=[0, 30, 120, 120], days=1)
    boxed = run.nodes[3]
    assert isinstance(boxed, MdtNode)
    boxed.psm.params = PowerParams(retry_sleep_s=(300.0,))
    run.run(1)
    assert boxed.searches > 100
    assert boxed.battery_projection_years() < 1.0
