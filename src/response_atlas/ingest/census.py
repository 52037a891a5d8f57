"""Census figures per area: tract-level ACS figures moved onto areas by area-weighted interpolation.

Tracts rarely nest in the areas the dashboard maps (the CAGIS statistical neighborhoods cut across
2020 tracts), so each tract's figures are split by the share of its land that falls in each area,
measured in Ohio State Plane South (EPSG:3735, feet) so shares are true areas, not degrees:

- ``population`` (a count) is *extensive*: an area gets ``pop * overlap / tract area`` from every
  tract it touches (the usual assumption that people are spread evenly over a tract).
- ``pct_black`` and ``pct_poverty`` (shares) are *intensive*: an area gets the mean of the tract
  shares weighted by the population it received from each tract, times 100.

Inputs (the files in ``shared/data/real/demographics``): a tract polygon layer keyed by GEOID,
a table with total population per tract (the "chanfriendly" file's ``pop``) and the ACS 2023
measures (``prop_poverty``, ``prop_black_and_not_hispanic_or_latino`` plus
``prop_black_and_hispanic_or_latino``). The output is the ``area_facts.csv`` extract
(``schema.AREA_FACT_COLUMNS`` plus ``area_km2``).

Command line: ``python -m response_atlas facts --areas FILE [--preset cagis_sna] --tracts FILE
--population FILE --acs FILE --out data/area_facts.csv``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from response_atlas.config import PROJECTED_CRS
from response_atlas.ingest.readers import ExtractError, read_geojson, repair_geometries

SQ_FT_TO_KM2 = 0.09290304e-6
TRACT_ID_PROPERTIES = ("census_tract_id_2020", "GEOID", "geoid", "GEOID20", "census_tract_id")
POPULATION_COLUMN = "pop"
BLACK_COLUMNS = ("prop_black_and_not_hispanic_or_latino", "prop_black_and_hispanic_or_latino")
POVERTY_COLUMN = "prop_poverty"
FACT_COLUMNS = ["name", "kind", "population", "pct_black", "pct_poverty", "area_km2"]


@dataclass(frozen=True)
class AreaLayer:
    """How to read one publisher's area polygons: the name property and the kind of its areas."""

    name: str
    name_property: str
    kind: str | None  # None: the layer mixes kinds (neighborhoods, cities, townships)
    description: str


AREA_LAYERS: dict[str, AreaLayer] = {
    "cagis_sna": AreaLayer(
        "cagis_sna", "neighborhood", "cincinnati_neighborhood",
        "CAGIS Statistical Neighborhood Approximations (50 Cincinnati neighborhoods)"),
    "hamilton_county_areas": AreaLayer(
        "hamilton_county_areas", "neighborhood_2020", None,
        "Hamilton County neighborhoods and municipalities built from 2020 tracts (81 areas)"),
}


class CensusError(ValueError):
    """Inputs that cannot be interpolated; lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def load_tract_figures(population_csv: Path, acs_csv: Path) -> pd.DataFrame:
    """Per tract: ``tract`` (GEOID text), ``population``, ``share_black``, ``share_poverty`` (0-1)."""
    problems = []
    pop = pd.read_csv(population_csv, dtype=str)
    acs = pd.read_csv(acs_csv, dtype=str)
    pop_id = next((c for c in TRACT_ID_PROPERTIES if c in pop.columns), None)
    acs_id = next((c for c in TRACT_ID_PROPERTIES if c in acs.columns), None)
    if pop_id is None or POPULATION_COLUMN not in pop:
        problems.append(f"{Path(population_csv).name}: needs a tract id ({'/'.join(TRACT_ID_PROPERTIES)}) "
                        f"and a '{POPULATION_COLUMN}' column")
    missing = [c for c in (*BLACK_COLUMNS, POVERTY_COLUMN) if c not in acs.columns]
    if acs_id is None or missing:
        problems.append(f"{Path(acs_csv).name}: needs a tract id and the columns "
                        f"{', '.join(missing or ['census_tract_id_2020'])}")
    if problems:
        raise CensusError(problems)
    left = pd.DataFrame({"tract": pop[pop_id].str.strip(),
                         "population": pd.to_numeric(pop[POPULATION_COLUMN], errors="coerce")})
    right = pd.DataFrame({
        "tract": acs[acs_id].str.strip(),
        # Black residents of any ethnicity: the ACS splits them by Hispanic origin.
        "share_black": sum(pd.to_numeric(acs[c], errors="coerce").fillna(0) for c in BLACK_COLUMNS),
        "share_poverty": pd.to_numeric(acs[POVERTY_COLUMN], errors="coerce"),
    })
    return left.merge(right, on="tract", how="outer")


def load_tracts(path: Path) -> gpd.GeoDataFrame:
    """Tract polygons with a ``tract`` GEOID column (EPSG:4326)."""
    frame = read_geojson(path)
    prop = next((p for p in TRACT_ID_PROPERTIES if p in frame.columns), None)
    if prop is None:
        raise ExtractError(path, f"no tract id property ({' / '.join(TRACT_ID_PROPERTIES)})")
    frame, _ = repair_geometries(frame, prop)
    return gpd.GeoDataFrame({"tract": frame[prop].astype(str).str.strip()},
                            geometry=frame.geometry.values, crs="EPSG:4326")


def interpolate_area_facts(areas: gpd.GeoDataFrame, name_column: str, tracts: gpd.GeoDataFrame,
                           figures: pd.DataFrame, kind: str | None = None) -> pd.DataFrame:
    """Facts per area (``FACT_COLUMNS``) from tract figures by area-weighted interpolation.

    ``areas`` and ``tracts`` may be in any CRS (both are projected to EPSG:3735). Tracts without
    figures contribute nothing; an area no tract touches gets population 0 and empty shares.
    """
    problems = []
    if name_column not in areas.columns:
        problems.append(f"areas have no name column {name_column!r}")
    if "tract" not in tracts.columns:
        problems.append("tracts have no 'tract' column")
    if problems:
        raise CensusError(problems)
    zones = gpd.GeoDataFrame({"name": areas[name_column].astype(str).str.strip()},
                             geometry=areas.geometry.make_valid().values, crs=areas.crs).to_crs(PROJECTED_CRS)
    tr = tracts[["tract", "geometry"]].merge(figures, on="tract", how="inner").to_crs(PROJECTED_CRS)
    tr["geometry"] = tr.geometry.make_valid()
    tr["tract_area"] = tr.area
    tr = tr[tr["tract_area"] > 0]
    pieces = gpd.overlay(zones, tr, how="intersection", keep_geom_type=True)
    pieces["people"] = pieces["population"].fillna(0) * pieces.area / pieces["tract_area"]
    grouped = pieces.groupby("name")
    out = pd.DataFrame({"population": grouped["people"].sum()})
    for share, target in (("share_black", "pct_black"), ("share_poverty", "pct_poverty")):
        known = pieces[share].notna() & (pieces["people"] > 0)
        weighted = (pieces.loc[known, share] * pieces.loc[known, "people"]).groupby(pieces.loc[known, "name"]).sum()
        weights = pieces.loc[known, "people"].groupby(pieces.loc[known, "name"]).sum()
        out[target] = 100 * weighted / weights
    result = zones.drop_duplicates("name").set_index("name")
    facts = pd.DataFrame(index=result.index)
    facts["kind"] = kind if kind else "area"
    facts["population"] = out["population"].reindex(facts.index).fillna(0.0).round(0)
    facts["pct_black"] = out["pct_black"].reindex(facts.index).round(1)
    facts["pct_poverty"] = out["pct_poverty"].reindex(facts.index).round(1)
    facts["area_km2"] = (result.area * SQ_FT_TO_KM2).round(2)
    return facts.reset_index()[FACT_COLUMNS]


def build_area_facts(areas_path: Path, tracts_path: Path, population_csv: Path, acs_csv: Path,
                     layer: str | None = None, name_property: str | None = None) -> pd.DataFrame:
    """Read the four files and return the facts table; ``layer`` is a key of ``AREA_LAYERS``."""
    spec = AREA_LAYERS.get(layer) if layer else None
    if layer and spec is None:
        raise CensusError([f"unknown area layer {layer!r}; known: {', '.join(AREA_LAYERS)}"])
    areas = read_geojson(areas_path)
    prop = name_property or (spec.name_property if spec else None)
    if prop is None:
        prop = next((p for p in ("name", *(s.name_property for s in AREA_LAYERS.values()))
                     if p in areas.columns), None)
    if prop is None or prop not in areas.columns:
        raise CensusError([f"{Path(areas_path).name}: no area name property {prop or ''}".strip()])
    areas, _ = repair_geometries(areas, prop)
    figures = load_tract_figures(population_csv, acs_csv)
    return interpolate_area_facts(areas, prop, load_tracts(tracts_path), figures,
                                  kind=spec.kind if spec else None)


def main(argv: list[str] | None = None) -> int:
    """``facts --areas F --tracts F --population F --acs F --out F [--preset P] [--name-property N]``."""
    parser = argparse.ArgumentParser(prog="python -m response_atlas facts",
                                     description="Area facts (population, shares) from census tracts.")
    parser.add_argument("--areas", required=True, help="area polygons (GeoJSON)")
    parser.add_argument("--preset", choices=sorted(AREA_LAYERS), help="which area layer this is")
    parser.add_argument("--name-property", help="area name property (default: from the preset)")
    parser.add_argument("--tracts", required=True, help="census tract polygons (GeoJSON, GEOID)")
    parser.add_argument("--population", required=True, help="CSV with tract id and 'pop'")
    parser.add_argument("--acs", required=True, help="ACS measures CSV (prop_poverty, prop_black_...)")
    parser.add_argument("--out", required=True, help="where to write area_facts.csv")
    args = parser.parse_args(argv)
    try:
        facts = build_area_facts(Path(args.areas), Path(args.tracts), Path(args.population),
                                 Path(args.acs), layer=args.preset, name_property=args.name_property)
    except (CensusError, ExtractError) as exc:
        print(f"facts FAILED: {exc}")
        return 1
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    facts.to_csv(args.out, index=False)
    print(f"facts: {len(facts)} areas, population {facts['population'].sum():,.0f} -> {args.out}")
    return 0
