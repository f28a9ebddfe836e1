"""Benchmark of the radio and the site: the link table, the generator and the synthetic loads.

Workloads (figures, best of ``REPEATS``):

* ``link_table`` of a generated 10,000-meter, 20-floor site (10,401 nodes, 6,580 walls):
  every relay link (DCAP/repeater ↔ anything), walls counted by segment intersection;
* ``generate_site(10_000, 20)``, including its coverage check with its own radio;
* ``synthetic_power_w`` for 10,000 meters × 1 day at 1-minute steps, and for 1,000 meters ×
  30 days.

Same-run baseline: the bare cost of the distance and path loss of the same candidate pairs
(no walls, no shadowing), i.e. what a link table can never beat; and, for the loads, one
element-wise ``np.exp`` over an array of the output's size.  Ratio = figure / baseline.
Run with ``python -m bench radio``.
"""

from __future__ import annotations

import numpy as np

from bench.timing import Result, best_s, time_result
from openamr.field.loads import synthetic_power_w
from openamr.field.radio import RadioParams, link_table, path_loss_db
from openamr.field.site.generate import generate_site

REPEATS = 3



def _line(results: list[Result], name: str, figure_s: float, baseline_s: float,
          note: str) -> None:
    print(f"{name:44s} {figure_s * 1e3:9.1f} ms   baseline {baseline_s * 1e3:8.1f} ms   "
          f"ratio {figure_s / baseline_s:6.1f}   {note}")
    results.append(time_result(f"radio: {name}", figure_s, baseline_s, unit="ms"))


def main(quick: bool = False) -> list[Result]:
    meters, floors = (1_000, 5) if quick else (10_000, 20)
    results: list[Result] = []
    gen_s = best_s(lambda: generate_site(meters, floors, seed=0), repeats=2)
    site = generate_site(meters, floors, seed=0)
    nodes, walls, params = site.radio_nodes(), site.radio_walls(), site.radio

    relays = np.flatnonzero(nodes.relay_mask)

    def bare() -> None:
        for r in relays:
            d = np.hypot(nodes.x_m - nodes.x_m[r], nodes.y_m - nodes.y_m[r])
            path_loss_db(d, RadioParams())

    base_s = best_s(bare)
    table_s = best_s(lambda: link_table(nodes, walls, params, site.seed))
    table = link_table(nodes, walls, params, site.seed)
    _line(results, f"link_table {len(nodes)} nodes, {len(walls)} walls", table_s, base_s,
          f"{len(table)} directed links kept ({len(table) / len(nodes):.0f} per node)")
    _line(results, f"generate_site({meters}, {floors}) incl. coverage check", gen_s, base_s,
          f"{len(site.repeaters)} repeaters")

    ids = [m.id for m in site.meters]
    kinds = [m.load.kind.value for m in site.meters]
    scales = [m.load.scale_w or 0.0 for m in site.meters]
    start_s = 1_772_409_600
    day_s = best_s(lambda: synthetic_power_w(kinds, scales, 1440, 60, start_s, 0, meter_ids=ids,
                                              time_zone=site.time_zone))
    exp_day_s = best_s(lambda: np.exp(np.zeros((meters, 1440), dtype=np.float32)))
    _line(results, f"synthetic_power_w {meters:,} meters x 1 day, 1 min", day_s, exp_day_s,
          "baseline: one np.exp over the output")
    month_s = best_s(lambda: synthetic_power_w(kinds[:1000], scales[:1000], 1440 * 30, 60,
                                                start_s, 0, meter_ids=ids[:1000],
                                                time_zone=site.time_zone))
    exp_month_s = best_s(lambda: np.exp(np.zeros((1000, 1440 * 30), dtype=np.float32)))
    _line(results, "synthetic_power_w 1,000 meters x 30 days, 1 min", month_s, exp_month_s,
          "baseline: one np.exp over the output")
    return results


if __name__ == "__main__":
    main()
