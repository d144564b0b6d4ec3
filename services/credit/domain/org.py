"""The organisation of key-account work (DOMAIN 3.8): HQ key-account centre ->
large-region departments -> regional offices. Which sales regions make up a
large region is configuration (CREDIT_LARGE_REGIONS)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class OrgUnit:
    sales_region: str
    large_region: str


class OrgMap:
    def __init__(self, large_regions: Mapping[str, Sequence[str]]) -> None:
        parent: dict[str, str] = {}
        for large, regions in large_regions.items():
            if not large.strip():
                raise ValueError("a large region needs a name")
            for region in regions:
                if region in parent:
                    raise ValueError(f"sales region {region!r} is in two large regions: "
                                     f"{parent[region]!r} and {large!r}")
                parent[region] = large
        self._parent = MappingProxyType(parent)
        self.large_regions = frozenset(large_regions)

    def unit_of(self, sales_region: str) -> OrgUnit:
        """A region outside every large region reports straight to HQ (large region "")."""
        return OrgUnit(sales_region, self._parent.get(sales_region, ""))

    def regions_of(self, large_region: str) -> frozenset[str]:
        return frozenset(r for r, p in self._parent.items() if p == large_region)
