"""Standard populations an age-adjusted KPI may name in kpis.csv (``standard_population``).

The figures and their citation are in :mod:`metrics.intervals` (``US2000_STANDARD_11``).
"""

from __future__ import annotations

from collections.abc import Mapping

from metrics.intervals import US2000_STANDARD_11

#: name -> age-group label -> population, in age order
STANDARDS: Mapping[str, Mapping[str, int]] = {"us2000": US2000_STANDARD_11}
#: name -> how the words name it
STANDARD_NAMES: dict[str, str] = {
    "us2000": "the 2000 US standard population (11 age groups; NCHS, NVSR 47(3), 1998)",
}
