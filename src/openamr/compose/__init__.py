"""Where the field and the head-end meet (floor 5, beside the CLI that uses it).

* :mod:`openamr.compose.site_sim`: one site simulated into a head-end store (``openamr sim
  run``): the site registered in the store, the head-end's ingest as the simulator's backhaul;
* :mod:`openamr.compose.portfolio`: many sites simulated, and many sites billed, as Dask tasks
  (``openamr portfolio``).

This package may import the field, the head-end and billing; nothing below it imports it, and
it never imports the CLI or the web (``tests/test_architecture.py``).
"""

from __future__ import annotations

__all__: list[str] = []
