"""Site scopes of tokens, and the resolution of meter and device ids to one site.

A token may be scoped to sites (``TokenRow.site_ids``); it then sees only those sites: a site,
meter, device or alarm of another site answers 404 (as if it did not exist), lists are filtered.
An id given without its site (``/meters/{meter_id}``) resolves among the sites the token sees:
one match is served, several answer 409 ``conflict.ambiguous_id`` with the candidate sites
(use ``/sites/{site_id}/meters/{meter_id}``).
"""

from __future__ import annotations

from openamr.headend.api.errors import ApiError
from openamr.headend.store.base import Device, Meter, SiteScope, Store, TokenRow

__all__ = ["check_site", "resolve_device", "resolve_meter", "sites_in_scope"]


def check_site(store: Store, token: TokenRow, site_id: str) -> None:
    """404 unless the site exists and the token sees it."""
    if (token.site_ids is not None and site_id not in token.site_ids) or \
            store.get_site(site_id) is None:
        raise ApiError(404, "not_found.site", f"no site {site_id!r}")


def sites_in_scope(store: Store, token: TokenRow, site_id: str | None) -> SiteScope:
    """The site filter of a list: the asked site (checked), else the token's scope."""
    if site_id is not None:
        check_site(store, token, site_id)
        return site_id
    return token.site_ids


def _ambiguous(kind: str, ident: str, sites: list[str]) -> ApiError:
    return ApiError(409, "conflict.ambiguous_id",
                    f"{kind} {ident!r} exists at several sites ({', '.join(sites)}): use "
                    f"/api/v1/sites/{{site_id}}/{kind}s/{ident}", candidates=sites)


def resolve_meter(store: Store, token: TokenRow, meter_id: str,
                  site_id: str | None = None) -> Meter:
    """The meter ``meter_id`` (of ``site_id``, or the one among the token's sites)."""
    if site_id is not None:
        check_site(store, token, site_id)
        meter = store.get_meter(meter_id, site_id=site_id)
        found = [meter] if meter is not None else []
    else:
        found = store.find_meters(meter_id, token.site_ids)
    if not found:
        raise ApiError(404, "not_found.meter", f"no meter {meter_id!r}")
    if len(found) > 1:
        raise _ambiguous("meter", meter_id, [m.site_id for m in found])
    return found[0]


def resolve_device(store: Store, token: TokenRow, ident: str,
                   site_id: str | None = None) -> Device:
    """The device of that EUI-64 or site-scoped id (of ``site_id``, or among the token's
    sites)."""
    if site_id is not None:
        check_site(store, token, site_id)
    found = store.find_devices(ident, site_id if site_id is not None else token.site_ids)
    by_eui = [d for d in found if d.device_id == ident.lower()]
    found = by_eui or found
    if not found:
        raise ApiError(404, "not_found.device", f"no device {ident!r}")
    if len(found) > 1:
        raise _ambiguous("device", ident, [d.site_id for d in found])
    return found[0]
