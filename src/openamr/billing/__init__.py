"""Billing: tariffs, bills, statements, common-area allocation and solar incentive statements.

Reads the head-end's store (never the field).  Three layers, as the rest of openamr:

* pure, vectorised functions: the tariff period of each interval of a period's local grid
  (:mod:`.schedule`, on :func:`openamr.timeutil.local_grid`), the bill engine (:mod:`.engine`);
* objects that hold parameters: :class:`~openamr.billing.tariff.Tariff` (from our TOML format,
  :mod:`.tariff_toml`, or OpenEI URDB JSON, :mod:`.urdb`), :class:`~.periods.BillingPeriod`;
* one orchestrator per job: :mod:`.run` (bills of meters, tenants or a site from the store),
  with renderers for JSON, CSV ledgers, HTML and PDF statements.

See ``docs/billing.md`` and ``docs/tariffs.md``.
"""
