"""Embedded facts: Hamilton County's 81 areas.

Names, interior points, land areas, populations and shares come from the public derived facts
(Census ACS by area-weighted interpolation onto the 81-area layer: 41 Cincinnati neighborhood
groupings, 30 municipalities, 10 townships). These are facts, embedded so the demo needs no
download; the areas' shapes are in ``resources/demo_areas.geojson`` (see ``demo/geometry.py``).
"""

from __future__ import annotations

import io

import pandas as pd

AREA_FACTS_CSV = """\
name,kind,lat,lon,area_km2,population,pct_black,pct_poverty
Amberley,municipality,39.20318,-84.4293,8.79,4249.0,5.8,2.2
Anderson Twp.-Newtown,township,39.08657,-84.34141,87.4,44316.0,2.8,3.9
Avondale,cincinnati_neighborhood,39.14362,-84.49643,5.65,12792.0,79.3,46.8
Blue Ash,municipality,39.24862,-84.38124,20.49,13597.0,7.1,5.6
Bond Hill,cincinnati_neighborhood,39.17821,-84.47113,4.66,7287.0,85.3,16.7
CUF,cincinnati_neighborhood,39.13094,-84.52128,4.13,17703.0,12.2,47.3
Camp Washington,cincinnati_neighborhood,39.14,-84.54029,3.22,1151.0,32.1,29.8
Carthage,cincinnati_neighborhood,39.19762,-84.48429,3.24,2759.0,24.3,6.8
Cheviot,municipality,39.15771,-84.61646,3.53,8815.0,21.7,18.2
Clifton,cincinnati_neighborhood,39.15308,-84.52177,5.76,8311.0,13.3,14.8
Colerain Twp.,township,39.25444,-84.63799,104.53,53728.0,26.5,9.7
College Hill,cincinnati_neighborhood,39.19541,-84.54491,10.68,16578.0,53.6,21.5
Corryville,cincinnati_neighborhood,39.13473,-84.50591,1.34,4593.0,11.5,53.3
Crosby Twp.,township,39.2557,-84.73222,69.08,8374.0,0.0,4.0
Deer Park,municipality,39.20409,-84.39851,2.24,5359.0,1.6,10.2
Delhi Twp.,township,39.10176,-84.63398,25.24,26695.0,5.7,7.5
Downtown,cincinnati_neighborhood,39.10025,-84.50978,2.82,6147.0,24.4,14.5
E. Price Hill,cincinnati_neighborhood,39.11137,-84.56457,7.78,15908.0,44.2,42.4
E. Walnut Hills,cincinnati_neighborhood,39.12492,-84.47793,1.43,3362.0,15.2,9.1
East End-Linwood,cincinnati_neighborhood,39.10632,-84.4226,17.06,5107.0,1.7,4.6
Elmwood,municipality,39.18477,-84.48981,0.85,2312.0,9.5,23.9
Evanston,cincinnati_neighborhood,39.13842,-84.46925,3.63,7356.0,47.8,16.3
Evendale,municipality,39.25078,-84.42329,12.33,2663.0,4.1,2.2
Fairfax,municipality,39.14183,-84.39579,1.99,1661.0,2.5,3.9
Forest Park,municipality,39.27821,-84.52176,20.54,22745.0,54.4,11.4
Glendale,municipality,39.26906,-84.45657,4.28,2154.0,12.4,5.5
Golf Manor,municipality,39.18936,-84.44608,1.49,3786.0,65.0,13.8
Green Twp.,township,39.17407,-84.6339,75.25,57954.0,6.2,5.1
Greenhills,municipality,39.26634,-84.52181,4.24,3838.0,17.2,8.9
Harrison,municipality,39.27042,-84.79214,33.26,13099.0,1.1,6.0
Hartwell,cincinnati_neighborhood,39.21126,-84.47722,3.4,5237.0,37.6,15.3
Hyde Park,cincinnati_neighborhood,39.13276,-84.44386,7.53,13530.0,4.1,5.2
Indian Hill,municipality,39.19513,-84.32089,50.95,8106.0,10.0,6.5
Kennedy Hts.,cincinnati_neighborhood,39.18243,-84.41187,3.17,4714.0,57.9,11.8
Lincoln Hts.,municipality,39.2426,-84.45846,1.94,3140.0,74.3,56.5
Lockland,municipality,39.22666,-84.45596,3.86,4514.0,29.3,16.7
Loveland,municipality,39.26436,-84.27362,7.89,6785.0,1.4,8.9
Lower Price Hill-Queensgate,cincinnati_neighborhood,39.1084,-84.54263,5.16,1158.0,42.3,80.1
Madeira,municipality,39.1836,-84.37604,9.11,10033.0,4.9,2.8
Madisonville,cincinnati_neighborhood,39.16148,-84.39985,5.62,9708.0,25.1,17.1
Mariemont,municipality,39.14471,-84.37723,2.28,3647.0,1.4,1.4
Miami Twp.,township,39.15874,-84.73915,61.42,15895.0,1.2,6.8
Montgomery,municipality,39.24523,-84.3529,9.85,9710.0,5.8,4.0
Mt. Adams,cincinnati_neighborhood,39.10824,-84.49848,0.61,1643.0,0.9,6.8
Mt. Airy,cincinnati_neighborhood,39.18463,-84.56481,8.7,7948.0,60.4,32.4
Mt. Auburn,cincinnati_neighborhood,39.1192,-84.50845,1.81,4705.0,42.3,28.6
Mt. Healthy,municipality,39.23422,-84.54849,4.29,7237.0,49.5,22.7
Mt. Lookout,cincinnati_neighborhood,39.13113,-84.41745,2.64,3527.0,0.7,2.3
Mt. Washington,cincinnati_neighborhood,39.09318,-84.39087,12.79,14992.0,6.5,13.2
N. Avondale,cincinnati_neighborhood,39.15805,-84.48497,3.28,5889.0,25.2,10.1
N. College Hill,municipality,39.21785,-84.55062,4.74,9614.0,61.6,23.8
N. Fairmount,cincinnati_neighborhood,39.135,-84.55776,2.69,2165.0,63.0,27.2
Northside,cincinnati_neighborhood,39.17033,-84.5417,4.58,8200.0,20.1,15.4
Norwood,municipality,39.16157,-84.45384,8.17,19018.0,14.5,17.6
OTR-Pendleton,cincinnati_neighborhood,39.11357,-84.51594,1.51,6791.0,32.2,26.6
Oakley,cincinnati_neighborhood,39.15485,-84.42415,7.68,12243.0,9.3,6.6
Pleasant Ridge,cincinnati_neighborhood,39.17968,-84.43647,5.17,8339.0,18.8,14.1
Reading,municipality,39.22289,-84.42628,8.01,11616.0,9.6,12.7
Riverside-Sedamsville,cincinnati_neighborhood,39.09374,-84.64908,8.7,2565.0,16.8,20.3
Roll Hill,cincinnati_neighborhood,39.15792,-84.5606,1.06,2503.0,78.2,88.0
Roselawn,cincinnati_neighborhood,39.19672,-84.46379,4.48,7692.0,86.4,29.1
S. Cumminsville-Millvale,cincinnati_neighborhood,39.14935,-84.55397,2.24,3108.0,76.7,61.1
S. Fairmount,cincinnati_neighborhood,39.12838,-84.55569,1.39,1926.0,55.5,30.4
Sayler Park,cincinnati_neighborhood,39.11902,-84.6951,3.07,2902.0,5.9,19.1
Sharonville,municipality,39.27837,-84.41298,21.38,9851.0,11.4,4.7
Silverton,municipality,39.1876,-84.39672,2.98,5225.0,36.0,16.6
Spring Grove Vlg.,cincinnati_neighborhood,39.17727,-84.53015,4.99,2220.0,43.4,12.3
Springdale,municipality,39.2904,-84.47456,12.71,10835.0,41.4,12.2
Springfield Twp.,township,39.25347,-84.53766,37.91,36076.0,39.8,16.0
St. Bernard,municipality,39.17187,-84.49405,4.07,4026.0,10.0,6.6
Sycamore Twp.,township,39.20866,-84.37515,18.48,18071.0,4.3,6.2
Symmes Twp.,township,39.25868,-84.31122,24.68,20653.0,4.7,3.8
Terrace Park,municipality,39.18019,-84.29494,7.88,2542.0,1.8,2.4
W. Price Hill,cincinnati_neighborhood,39.11231,-84.59528,7.71,19224.0,37.4,18.0
Walnut Hills,cincinnati_neighborhood,39.12444,-84.49477,3.8,6431.0,52.5,31.3
West End,cincinnati_neighborhood,39.11546,-84.5272,1.85,6875.0,63.0,46.2
Westwood,cincinnati_neighborhood,39.14527,-84.59647,17.24,35215.0,58.0,22.8
Whitewater Twp.,township,39.18672,-84.7837,64.11,5154.0,0.3,20.0
Winton Hills,cincinnati_neighborhood,39.18803,-84.50829,5.45,6741.0,78.3,54.3
Woodlawn,municipality,39.25857,-84.46961,8.71,4393.0,45.7,16.3
Wyoming,municipality,39.22924,-84.48293,7.91,8940.0,11.5,0.9
"""


def load_area_facts() -> pd.DataFrame:
    """The 81 areas: ``name, kind, lat, lon, area_km2, population, pct_black, pct_poverty``."""
    return pd.read_csv(io.StringIO(AREA_FACTS_CSV))

