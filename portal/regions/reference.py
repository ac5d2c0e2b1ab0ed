"""The ten Strategic Health Authorities of England, 1 July 2006 to 31 March 2013."""

from __future__ import annotations

from typing import NamedTuple


class RegionFacts(NamedTuple):
    slug: str
    name: str
    short_name: str


SHAS: tuple[RegionFacts, ...] = (
    RegionFacts("east-of-england", "NHS East of England", "East of England"),
    RegionFacts("east-midlands", "NHS East Midlands", "East Midlands"),
    RegionFacts("london", "NHS London", "London"),
    RegionFacts("north-east", "NHS North East", "North East"),
    RegionFacts("north-west", "NHS North West", "North West"),
    RegionFacts("south-central", "NHS South Central", "South Central"),
    RegionFacts("south-east-coast", "NHS South East Coast", "South East Coast"),
    RegionFacts("south-west", "NHS South West", "South West"),
    RegionFacts("west-midlands", "NHS West Midlands", "West Midlands"),
    RegionFacts(
        "yorkshire-and-the-humber", "NHS Yorkshire and the Humber", "Yorkshire and the Humber"
    ),
)

SLUGS = tuple(sha.slug for sha in SHAS)
