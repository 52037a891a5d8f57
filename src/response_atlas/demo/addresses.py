"""Block-masked address pool: ``23XX FERGUSON RD``-style blocks with a heavy-tailed call weight.

Every block belongs to one area, sits at a random point inside that area's polygon (kept a little
away from the edge so jittered call points stay in the same area) and has a weight drawn from a
log-normal distribution: a few blocks get most calls, as in real 911 data (Minneapolis: 5% of
addresses gave 64% of calls). Street names are made up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry.base import BaseGeometry

from response_atlas.demo.codes import GROUPS
from response_atlas.demo.geometry import inner_polygon, sample_points_in

STREET_WORDS = (
    "ASH", "BEECH", "BIRCH", "CEDAR", "CHERRY", "CHESTNUT", "ELM", "HAZEL", "HICKORY", "HOLLY",
    "LAUREL", "LINDEN", "LOCUST", "MAPLE", "MULBERRY", "OAK", "PINE", "POPLAR", "SPRUCE", "SYCAMORE",
    "WALNUT", "WILLOW", "ADAMS", "BALDWIN", "BRADFORD", "BURNETT", "CALDWELL", "CARSON", "CHAPMAN",
    "CLAYTON", "CORBIN", "DALTON", "DAWSON", "DELANEY", "DORSEY", "DRAKE", "DUNMORE", "ELLISON",
    "EMERSON", "FAIRBANKS", "FENWICK", "FERGUSON", "FINLEY", "FLEMING", "FOSTER", "GARRISON",
    "GIBSON", "GORMAN", "GRAYSON", "HADLEY", "HALSTEAD", "HARDING", "HARLAN", "HASTINGS", "HAYDEN",
    "HOLLIS", "HOWELL", "IRWIN", "JARVIS", "KEATING", "KENDALL", "KIRBY", "LANGLEY", "LAWSON",
    "LINCOLN", "LOWELL", "MADDOX", "MARLOWE", "MERRITT", "MORGAN", "NEWELL", "NORRIS", "OGDEN",
    "PARRISH", "PAXTON", "PRESTON", "QUINCY", "RADCLIFF", "RANDALL", "REDDING", "RIDLEY", "ROWAN",
    "SAWYER", "SHELBY", "SINCLAIR", "STANLEY", "SUTTON", "TALBOT", "THORNTON", "TILDEN", "TUCKER",
    "VANCE", "WALKER", "WARDELL", "WEBSTER", "WHITAKER", "WINSLOW", "YATES", "ARBOR", "BLUFF",
    "BROOK", "CANAL", "CLIFF", "CREEK", "CREST", "DALE", "FERRY", "FIELD", "FOREST", "GLEN",
    "GROVE", "HARBOR", "HIGHLAND", "HILLTOP", "LAKE", "MEADOW", "MILL", "ORCHARD", "PARK", "PRAIRIE",
    "RIDGE", "RIVER", "SPRING", "SUMMIT", "VALLEY", "VIEW", "VISTA", "WOODLAND", "BEACON", "CENTRAL",
    "COLONIAL", "COMMERCE", "FRONTIER", "HARMONY", "HERITAGE", "LIBERTY", "MARKET", "MONUMENT",
    "PIONEER", "PROSPECT", "UNION", "VICTORY", "CARDINAL", "FALCON", "HERON", "KESTREL", "ORIOLE",
    "SPARROW", "WREN", "CLOVER", "FERN", "IVY", "JUNIPER", "LILAC", "MAGNOLIA", "SAGE", "THISTLE",
)
STREET_SUFFIXES = ("ST", "AVE", "RD", "DR", "LN", "CT", "PL", "PIKE", "BLVD", "WAY", "TER", "CIR")
BLOCKS_PER_STREET = 60  # at most this many distinct blocks on one made-up street
REPEAT_SIGMA = 1.8  # log-normal spread of block weights; ~1.8 puts >40% of calls on the top 5%
POVERTY_SLOPE = 0.035  # per-capita call rate grows ~exp(0.035 * % poverty): ~5x from 2% to 48%
EDGE_MARGIN_DEG = 0.0006  # blocks sit ~60 m inside their area; call jitter is at most ~30 m
DOMINANT_SHARE = 0.35  # share of blocks with a dominant non-police call type (a group home, a camp)


@dataclass(frozen=True)
class AddressPool:
    """Blocks: text, owning area index, location, call weight, dominant generator group (-1: none)."""

    text: np.ndarray  # object array of str
    area: np.ndarray  # int32 index into the area facts
    lon: np.ndarray
    lat: np.ndarray
    weight: np.ndarray  # sums to 1
    dominant: np.ndarray  # int8 index into codes.GROUPS, -1 for none


def allocate(total: int, shares: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``shares`` (largest remainder, >= minimum)."""
    shares = np.asarray(shares, float) / np.sum(shares)
    spare = total - minimum * len(shares)
    if spare < 0:
        raise ValueError(f"cannot give {minimum} to each of {len(shares)} parts out of {total}")
    raw = shares * spare
    parts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[: spare - parts.sum()]] += 1
    return parts + minimum


def area_call_rates(population: np.ndarray, pct_poverty: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Relative call volume per area: population times a factor rising with poverty.

    Downtown and Over-the-Rhine get extra weight for their daytime (non-resident) population.
    """
    rate = np.asarray(population, float) * np.exp(POVERTY_SLOPE * np.asarray(pct_poverty, float))
    busy = np.isin(names, ["Downtown", "OTR-Pendleton"])
    rate[busy] *= 3.0
    return rate / rate.sum()


def build_address_pool(
    names: np.ndarray,
    polygons: list[BaseGeometry],
    population: np.ndarray,
    pct_poverty: np.ndarray,
    n_addresses: int,
    group_shares: np.ndarray,
    rng: np.random.Generator,
) -> AddressPool:
    """Draw ``n_addresses`` unique blocks spread over the areas (more where more people live)."""
    per_area = allocate(n_addresses, np.asarray(population, float) ** 0.8, minimum=20)
    streets = [f"{w} {s}" for s in STREET_SUFFIXES for w in STREET_WORDS]
    streets_needed = -(-per_area // (BLOCKS_PER_STREET // 2))  # streets half full on average
    if streets_needed.sum() > len(streets):
        raise ValueError(f"too many addresses ({n_addresses}) for the street name list")
    street_order = rng.permutation(len(streets))
    rates = area_call_rates(population, pct_poverty, names)

    texts: list[np.ndarray] = []
    areas, lons, lats, weights = [], [], [], []
    used = 0
    for i, count in enumerate(per_area):
        k = int(streets_needed[i])
        own_streets = np.array(streets, dtype=object)[street_order[used : used + k]]
        used += k
        # Unique (street, block) pairs: sample slots without replacement.
        slots = rng.choice(k * BLOCKS_PER_STREET, size=count, replace=False)
        street_txt = own_streets[slots // BLOCKS_PER_STREET]
        block_no = slots % BLOCKS_PER_STREET + 1
        texts.append(np.array([f"{b}XX {s}" for b, s in zip(block_no, street_txt, strict=True)],
                              dtype=object))
        pts = sample_points_in(inner_polygon(polygons[i], EDGE_MARGIN_DEG), count, rng)
        lons.append(pts[:, 0])
        lats.append(pts[:, 1])
        areas.append(np.full(count, i, dtype=np.int32))
        w = rng.lognormal(0.0, REPEAT_SIGMA, size=count)
        weights.append(w / w.sum() * rates[i])

    weight = np.concatenate(weights)
    n = len(weight)
    non_police = np.asarray(group_shares, float).copy()
    non_police[list(GROUPS).index("police")] = 0.0
    dominant = np.where(
        rng.random(n) < DOMINANT_SHARE,
        rng.choice(len(GROUPS), size=n, p=non_police / non_police.sum()),
        -1,
    ).astype(np.int8)
    return AddressPool(
        text=np.concatenate(texts),
        area=np.concatenate(areas),
        lon=np.concatenate(lons),
        lat=np.concatenate(lats),
        weight=weight / weight.sum(),
        dominant=dominant,
    )
