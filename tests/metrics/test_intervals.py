"""Tests for metrics.intervals against published reference values.

Reference values are transcribed from the published sources below (not read at run time):

* PHE: UK PHE/UKHSA ``PHEindicatormethods`` R package test data, repo
  ukhsa-collaboration/PHEindicatormethods @093fd28, ``tests/testthat/``:
  ``testdata_Byars_Wilson.xlsx`` (sheet testdata_B_W), ``testdata_Proportion.xlsx``
  (testdata_Prop, testdata_Prop_g), ``testdata_Rate.xlsx``, ``testdata_Mean.xlsx``,
  ``testdata_DSR_ISR.xlsx`` (testdata_multiarea, testresults_DSR, testdata_1976); ESP2013
  weights from ``data-raw/LoadTestdata.R``. Expected values come from PHE's independent
  Excel tools.
* R ``binom::binom.confint(..., tol=1e-8)`` output as recorded in statsmodels/statsmodels
  ``statsmodels/stats/tests/results/results_proportion.py`` (rows 0/30 and 30/30 clipped
  to [0, 1] there).
* US 2000 standard population: NCHS, Anderson & Rosenberg, NVSR 47(3) 1998, Table I
  (ncbi.nlm.nih.gov/books/NBK20750).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.intervals import (
    US2000_STANDARD_11,
    US2000_WEIGHTS_11,
    byars,
    clopper_pearson,
    dsr_dobson,
    dsr_fay_feuer,
    is_reliable,
    poisson_exact,
    poisson_rate,
    relative_standard_error,
    t_mean,
    wilson,
    z_value,
)

REL = 1e-6
CONF = {"95": 0.95, "99.8": 0.998}


def close(actual: object, expected: float | None) -> bool:
    """Equal to 1e-6 relative, or both missing (NaN / None)."""
    a = float(actual)  # type: ignore[arg-type]
    if expected is None:
        return math.isnan(a)
    return a == pytest.approx(expected, rel=REL, abs=1e-12)


# ---------------------------------------------------------------------------------------
# PHE testdata_Byars_Wilson.xlsx, sheet testdata_B_W (phe_byars_wilson_ci.csv):
# (method, x, n, confidence, lower, upper). Byars rows are limits on the count.
BYARS_WILSON: list[tuple[Any, ...]] = [
    ("Byars", 65, None, 0.95, 50.163187710459454, 82.84913854593984),
    ("Byars", 1045, None, 0.95, 982.5932018073325, 1110.33121298565),
    ("Byars", 1, None, 0.95, 0.01307213290150435, 5.5637555824752605),
    ("Byars", 65, None, 0.998, 42.8802614714802, 94.00029084431802),
    ("Byars", 1045, None, 0.998, 947.9407035610374, 1148.806160988033),
    ("Byars", 10, None, 0.998, 2.916318374695686, 24.193724927880535),
    ("Wilson", 65, 100, 0.95, 0.5525444329688797, 0.7363575175690247),
    ("Wilson", 1045, 5000, 0.95, 0.19795549880013297, 0.22049130373189027),
    ("Wilson", 0.445, 1, 0.95, 0.04381744772058822, 0.9334621276979156),
    ("Wilson", 65, 100, 0.998, 0.4954946574070431, 0.7783540614089697),
    ("Wilson", 1045, 5000, 0.998, 0.19179381799015244, 0.22731562902525818),
    ("Wilson", 0.445, 1, 0.998, 0.019347006132900975, 0.9702259947019541),
    ("Byars", 1, None, 0.998, None, 9.362180217908362),
]

# PHE testdata_Proportion.xlsx, sheet testdata_Prop (phe_proportion_wilson_ci.csv):
# (area, x, n, multiplier, value, lower95, upper95, lower99.8, upper99.8).
PROPORTION_WILSON: list[tuple[Any, ...]] = [
    ("Area1", 1, 100, 1, 0.01,
     0.0017674320641406511, 0.054486196178705294, 0.000873065697299977, 0.1045544528370582),
    ("Area2", 5, 100, 1, 0.05,
     0.02154367915436798, 0.11175046923191911, 0.013865320725997183, 0.16458852282596442),
    ("Area3", 20, 100, 1, 0.2,
     0.1333669333310325, 0.28882916559315885, 0.10519162066711432, 0.3471109417008601),
    ("Area4", 65, 100, 1, 0.65,
     0.5525444329688797, 0.7363575175690247, 0.4954946574070431, 0.7783540614089697),
    ("Area5", 9856, 12345, 1, 0.7983799108950992,
     0.7912101752909069, 0.8053640073614909, 0.7869924108419063, 0.8093061412589626),
    ("Area6", 7776456, 7564336677, 1, 0.0010280420256339154,
     0.0010273201001641094, 0.0010287644578977231, 0.0010269040118442213, 0.0010291812992698397),
    ("Area7", 222, 3215, 1, 0.06905132192846034,
     0.060791690363636595, 0.07833956681383633, 0.05647101964624248, 0.08418414185270134),
    ("Area8", 999, 3456, 1, 0.2890625,
     0.27418951080009873, 0.30440389662818057, 0.26583995768074953, 0.3134475449279985),
    ("Area1", 1, 100, 100, 1,
     0.1767432064140651, 5.44861961787053, 0.0873065697299977, 10.45544528370582),
    ("Area2", 5, 100, 100, 5,
     2.154367915436798, 11.17504692319191, 1.3865320725997183, 16.458852282596443),
    ("Area3", 20, 100, 100, 20,
     13.33669333310325, 28.882916559315884, 10.519162066711433, 34.71109417008601),
    ("Area4", 65, 100, 100, 65,
     55.25444329688797, 73.63575175690247, 49.54946574070431, 77.83540614089696),
    ("Area5", 9856, 12345, 100, 79.83799108950991,
     79.1210175290907, 80.53640073614909, 78.69924108419063, 80.93061412589626),
    ("Area6", 7776456, 7564336677, 100, 0.10280420256339154,
     0.10273201001641094, 0.10287644578977231, 0.10269040118442213, 0.10291812992698397),
    ("Area7", 222, 3215, 100, 6.905132192846033,
     6.07916903636366, 7.833956681383633, 5.647101964624248, 8.418414185270134),
    ("Area8", 999, 3456, 100, 28.90625,
     27.418951080009872, 30.440389662818056, 26.583995768074953, 31.344754492799847),
    ("Area09", None, 100, 1, None,
     None, None, None, None),
    ("Area10", 10, None, 1, None,
     None, None, None, None),
    ("Area11", None, None, 1, None,
     None, None, None, None),
]

# PHE testdata_Proportion.xlsx, sheet testdata_Prop_g (phe_proportion_wilson_ci_grouped.csv),
# 95%: (area, x, n, value, lower, upper).
PROPORTION_WILSON_GROUPED: list[tuple[Any, ...]] = [
    ("Area1", 2, 200, 0.01, 0.002746658133544438,
     0.035721761716176796),
    ("Area2", 10, 200, 0.05, 0.027382645600763925,
     0.08957814813877597),
    ("Area3", 40, 200, 0.2, 0.15045200926098115,
     0.2608551865653788),
    ("Area4", 130, 200, 0.65, 0.5816346433604008,
     0.7127117587264192),
    ("Area5", 19712, 24690, 0.7983799108950992, 0.7933291845541375,
     0.8033378032278297),
    ("Area6", 15552912, 15128673354, 0.0010280420256339154, 0.0010275314947741198,
     0.0010285528098907119),
    ("Area7", 444, 6430, 0.06905132192846034, 0.06310799576298091,
     0.0755092618317013),
    ("Area8", 1998, 6912, 0.2890625, 0.2784949436323704,
     0.2998643901720741),
    ("Area09", None, 100, None, None,
     None),
    ("Area10", 10, None, None, None,
     None),
    ("Area11", None, None, None, None,
     None),
]

# PHE testdata_Rate.xlsx (phe_rate_exact_byars_ci.csv): exact below 10 events, Byars from 10:
# (area, x, n, multiplier, method, value, lower95, upper95, lower99.8, upper99.8).
RATE: list[tuple[Any, ...]] = [
    ("Area1", 1, 100, 100, "Exact", 1,
     0.025317807984289897, 5.571643390938898, 0.0010005003335835344, 9.233413476451585),
    ("Area2", 5, 100, 100, "Exact", 5,
     1.62348639011842, 11.668332079322669, 0.739371731917839, 16.454745203680105),
    ("Area3", 20, 100, 100, "Byars", 20,
     12.211428834875937, 30.889880369197066, 8.922802365144193, 38.08503562504191),
    ("Area4", 65, 100, 100, "Byars", 65,
     50.163187710459454, 82.84913854593984, 42.8802614714802, 94.00029084431802),
    ("Area5", 9856, 12345, 100, "Byars", 79.83799108950991,
     78.26949058976757, 81.4300165427214, 77.37590543271052, 82.3544727709543),
    ("Area6", 7776456, 7564336677, 100, "Byars", 0.10280420256339154,
     0.10273196005302074, 0.10287648334092832, 0.102690317308454, 0.10291817639509068),
    ("Area7", 222, 3215, 100, "Byars", 6.905132192846033,
     6.026574877652675, 7.87572937087185, 5.560737695259854, 8.46104668173341),
    ("Area8", 999, 3456, 100, "Byars", 28.90625,
     27.14130493609052, 30.755833237378415, 26.162147596445767, 31.845604819822654),
    ("Area1", 1, 100, 100000, "Exact", 1000,
     25.317807984289896, 5571.643390938898, 1.0005003335835343, 9233.413476451586),
    ("Area2", 5, 100, 100000, "Exact", 5000,
     1623.4863901184199, 11668.332079322669, 739.3717319178389, 16454.745203680104),
    ("Area3", 20, 100, 100000, "Byars", 20000,
     12211.428834875936, 30889.880369197064, 8922.802365144193, 38085.03562504191),
    ("Area4", 65, 100, 100000, "Byars", 65000,
     50163.18771045945, 82849.13854593984, 42880.261471480204, 94000.290844318),
    ("Area5", 9856, 12345, 100000, "Byars", 79837.99108950992,
     78269.49058976758, 81430.01654272141, 77375.90543271053, 82354.47277095431),
    ("Area6", 7776456, 7564336677, 100000, "Byars", 102.80420256339154,
     102.73196005302074, 102.87648334092832, 102.690317308454, 102.91817639509068),
    ("Area7", 222, 3215, 100000, "Byars", 6905.132192846034,
     6026.574877652674, 7875.729370871851, 5560.737695259853, 8461.04668173341),
    ("Area8", 999, 3456, 100000, "Byars", 28906.25,
     27141.30493609052, 30755.833237378414, 26162.147596445768, 31845.604819822653),
    ("Area09", None, 100, 100000, "", None,
     None, None, None, None),
    ("Area10", 10, None, 100000, "Byars", None,
     None, None, None, None),
    ("Area11", None, None, 100000, "", None,
     None, None, None, None),
    ("Area12", 250, 220, 100000, "Byars", 113636.36363636365,
     99984.94738532876, 128631.14487455782, 92710.00554438953, 137651.23772147458),
]

# PHE testdata_Rate.xlsx, grouped (phe_rate_exact_byars_ci_grouped.csv), 95%, per 100,000:
# (area, x, n, method, value, lower, upper).
RATE_GROUPED: list[tuple[Any, ...]] = [
    ("Area1", 2, 200, "Exact", 1000,
     121.10463927198258, 3612.3438338619794),
    ("Area2", 10, 200, "Byars", 5000,
     2393.7249569837822, 9195.729302878237),
    ("Area3", 40, 200, "Byars", 20000,
     14286.649933218456, 27235.04966001213),
    ("Area4", 130, 200, "Byars", 65000,
     54306.52101925725, 77182.74430661963),
    ("Area5", 19712, 24690, "Byars", 79837.99108950992,
     78727.30027133638, 80960.43271813256),
    ("Area6", 15552912, 15128673354, "Byars", 102.80420256339154,
     102.7531168009107, 102.85530745877516),
    ("Area7", 444, 6430, "Byars", 6905.132192846034,
     6277.68811414578, 7578.304458634362),
    ("Area8", 1998, 6912, "Byars", 28906.25,
     27652.52008830221, 30202.169187218453),
    ("Area09", None, 100, "", None,
     None, None),
    ("Area10", 10, None, "Byars", None,
     None, None),
    ("Area11", None, None, "", None,
     None, None),
    ("Area12", 250, 220, "Byars", 113636.36363636365,
     99984.94738532876, 128631.14487455782),
]

# R binom::binom.confint via statsmodels results_proportion.py
# (binom_confint_R_reference_statsmodels.csv), 95%, exact and wilson rows: (method, x, n, lower, upper).
BINOM: list[tuple[Any, ...]] = [
    ("exact", 18, 20, 0.6830172859809176, 0.9876514728297052),
    ("wilson", 18, 20, 0.6989663547715128, 0.972133518786232),
    ("exact", 4, 20, 0.05733399705003284, 0.436614002996668),
    ("wilson", 4, 20, 0.0806576625797981, 0.4160174322518935),
    ("exact", 4, 200, 0.005475565879556443, 0.05041360908989634),
    ("wilson", 4, 200, 0.00780442641634947, 0.05028708690582643),
    ("exact", 190, 200, 0.9099724622986486, 0.975765834527891),
    ("wilson", 190, 200, 0.910421851861224, 0.972617354399236),
    ("exact", 1, 30, 0.0008435709, 0.17216946),
    ("wilson", 1, 30, 0.00590859, 0.16670391),
    ("exact", 29, 30, 0.8278305, 0.9991564),
    ("wilson", 29, 30, 0.8332961, 0.9940914),
    ("exact", 0, 30, 0.0, 0.11570331),
    ("wilson", 0, 30, 0.0, 0.11351339),
    ("exact", 30, 30, 0.8842967, 1.0),
    ("wilson", 30, 30, 0.8864866, 1.0),
]

# PHE testdata_Mean.xlsx (phe_mean_inputs.csv, phe_mean_tdist_expected.csv).
MEAN_INPUTS: dict[str, list[float]] = {
    "Area1": [33.09375, 48.38596, 64.83495, 67.98475, 22.93556, 71.23587, 38.78465, 82.37927],
    "Area2": [5555.66666, 6666.77777, 4444.88888, 2222.99999, 3333.88888, 5555.44444, 6666.33333, 7777.44444, 5555.99999, 8888.33333, 2222.55555, 4444.33333, 6666.22222, 4444.11111, 4444.22222, 5555.11111, 7777.22222, 9999.77777],
}
# (area, count, sd, mean, lower95, upper95, lower99.8, upper99.8); "No grouping" pools all values.
MEAN_EXPECTED: list[tuple[Any, ...]] = [
    ("Area1", 8, 20.97557525770931, 53.70434500000001, 36.168325241336504, 71.24036475866352, 18.216705294788838, 89.19198470521118),
    ("Area2", 18, 2117.831716159067, 5678.962957777778, 4625.790022452972, 6732.135893102583, 3859.0770997295967, 7498.848815825959),
    ("No grouping", 26, 3171.8018122194453, 3948.1141538461534, 2666.995676745849, 5229.232630946458, 1801.9535385474737, 6094.274769144833),
]
# PHE testdata_DSR_ISR.xlsx, sheet testdata_multiarea (phe_dsr_isr_inputs_multiarea.csv):
# area -> (counts, populations) by age band; testdata_tiny has one missing count.
DSR_INPUTS: dict[str, tuple[list[int | None], list[int]]] = {
    "testdata_big": ([127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82, 91],
        [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123, 207]),
    "testdata_small": ([12, 4, 3, 2, 3, 4, 8, 2, 2, 3, 4, 5, 6, 8, 5, 6, 5, 5, 4],
        [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123, 207]),
    "testdata_tiny": ([0, 0, None, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 2, 3],
        [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123, 207]),
}
# European Standard Population 2013 weights (PHEindicatormethods data-raw/LoadTestdata.R).
ESP2013: list[int] = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000]
# PHE testdata_DSR_ISR.xlsx, sheet testdata_1976 (phe_dsr_inputs_esp1976.csv): counts, pops, ESP1976.
DSR_1976: tuple[list[int], list[int], list[int]] = ([127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82],
    [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123],
    [8000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 6000, 5000, 4000, 3000, 2000, 1000, 1000])
# PHE testdata_DSR_ISR.xlsx, sheet testresults_DSR (phe_dsr_dobson_expected.csv), Dobson rows:
# (area, total count, multiplier, value, lower95, upper95, lower99.8, upper99.8).
DSR_EXPECTED: list[tuple[Any, ...]] = [
    ("testdata_big", 895, 10000, 1043.0247991469423, 971.770906798568, 1117.894091547925, 932.3287880219904, 1162.0595999522059),
    ("testdata_small", 91, 10000, 110.3212025300104, 87.7455767536709, 136.70882227251795, 76.36420357939879, 153.00328948244763),
    ("testdata_tiny", 9, None, None, None, None, None, None),
    ("testdata_1976", 804, 10000, 859.2097585022366, 799.1160931442103, 922.5253880318318, 7659.282106568956, 9599.211798571698),
    ("testdata_big", 895, 100000, 10430.247991469423, 9717.709067985681, 11178.94091547925, 9323.287880219903, 11620.595999522058),
    ("testdata_small", 91, 100000, 1103.212025300104, 877.455767536709, 1367.0882227251795, 763.6420357939879, 1530.0328948244762),
    ("testdata_tiny", 9, None, None, None, None, None, None),
    ("testdata_1976", 804, 100000, 8592.097585022366, 7991.160931442103, 9225.253880318318, 76592.82106568955, 95992.11798571698),
]


@pytest.mark.parametrize(("method", "x", "n", "conf", "low", "high"), BYARS_WILSON)
def test_phe_byars_wilson(method: str, x: float, n: float | None, conf: float,
                          low: float | None, high: float | None) -> None:
    if method == "Byars":
        lo, hi = byars(x, confidence=conf)
    else:
        lo, hi = wilson(x, n, confidence=conf)
    assert close(lo, low)
    assert close(hi, high)


@pytest.mark.parametrize(("area", "x", "n", "mult", "value", "l95", "u95", "l998", "u998"),
                         PROPORTION_WILSON)
def test_phe_proportion_wilson(area: str, x: float | None, n: float | None, mult: float,
                               value: float | None, l95: float | None, u95: float | None,
                               l998: float | None, u998: float | None) -> None:
    for conf, low, high in ((0.95, l95, u95), (0.998, l998, u998)):
        lo, hi = wilson(x, n, confidence=conf)
        assert close(lo * mult, low), (area, conf)
        assert close(hi * mult, high), (area, conf)
    if value is not None:
        assert x is not None and n is not None
        assert x / n * mult == pytest.approx(value, rel=REL)


@pytest.mark.parametrize(("area", "x", "n", "value", "low", "high"), PROPORTION_WILSON_GROUPED)
def test_phe_proportion_wilson_grouped(area: str, x: float | None, n: float | None,
                                       value: float | None, low: float | None,
                                       high: float | None) -> None:
    lo, hi = wilson(x, n)
    assert close(lo, low), area
    assert close(hi, high), area


def test_phe_proportion_wilson_vectorised() -> None:
    x = np.array([r[1] if r[1] is not None else np.nan for r in PROPORTION_WILSON[:8]])
    n = np.array([r[2] for r in PROPORTION_WILSON[:8]], dtype=float)
    lo, hi = wilson(x, n)
    assert lo.shape == hi.shape == (8,)
    np.testing.assert_allclose(lo, [r[5] for r in PROPORTION_WILSON[:8]], rtol=REL)
    np.testing.assert_allclose(hi, [r[6] for r in PROPORTION_WILSON[:8]], rtol=REL)


@pytest.mark.parametrize(("area", "x", "n", "mult", "method", "value", "l95", "u95", "l998",
                          "u998"), RATE)
def test_phe_rate_exact_byars(area: str, x: float | None, n: float | None, mult: float,
                              method: str, value: float | None, l95: float | None,
                              u95: float | None, l998: float | None, u998: float | None) -> None:
    for conf, low, high in ((0.95, l95, u95), (0.998, l998, u998)):
        lo, hi = poisson_rate(x, n, multiplier=mult, confidence=conf)
        assert close(lo, low), (area, conf)
        assert close(hi, high), (area, conf)
    if method in ("Exact", "Byars") and x is not None and n is not None:
        fn = poisson_exact if method == "Exact" else byars
        lo, hi = fn(x)
        assert close(lo / n * mult, l95)
        assert close(hi / n * mult, u95)


@pytest.mark.parametrize(("area", "x", "n", "method", "value", "low", "high"), RATE_GROUPED)
def test_phe_rate_exact_byars_grouped(area: str, x: float | None, n: float | None, method: str,
                                      value: float | None, low: float | None,
                                      high: float | None) -> None:
    lo, hi = poisson_rate(x, n, multiplier=100000)
    assert close(lo, low), area
    assert close(hi, high), area


@pytest.mark.parametrize(("method", "x", "n", "low", "high"), BINOM)
def test_binom_confint_reference(method: str, x: int, n: int, low: float, high: float) -> None:
    fn = clopper_pearson if method == "exact" else wilson
    lo, hi = fn(x, n)
    assert close(lo, low)
    assert close(hi, high)


@pytest.mark.parametrize(("area", "count", "sd", "mean", "l95", "u95", "l998", "u998"),
                         MEAN_EXPECTED)
def test_phe_mean_tdist(area: str, count: int, sd: float, mean: float, l95: float,
                        u95: float, l998: float, u998: float) -> None:
    values = (MEAN_INPUTS[area] if area in MEAN_INPUTS
              else [v for vs in MEAN_INPUTS.values() for v in vs])
    arr = np.array(values)
    assert arr.size == count
    assert arr.mean() == pytest.approx(mean, rel=REL)
    assert arr.std(ddof=1) == pytest.approx(sd, rel=REL)
    for conf, low, high in ((0.95, l95, u95), (0.998, l998, u998)):
        lo, hi = t_mean(arr.mean(), arr.std(ddof=1), arr.size, confidence=conf)
        assert close(lo, low)
        assert close(hi, high)


def test_t_mean_vectorised_and_undefined() -> None:
    lo, hi = t_mean([10.0, 10.0, 10.0, np.nan], [2.0, 2.0, -1.0, 2.0], [1, 0, 5, 5])
    assert np.isnan(lo).all() and np.isnan(hi).all()
    lo, hi = t_mean(10.0, 0.0, 5)
    assert float(lo) == float(hi) == 10.0


@pytest.mark.parametrize(("area", "total", "mult", "value", "l95", "u95", "l998", "u998"),
                         DSR_EXPECTED)
def test_phe_dsr_dobson(area: str, total: int, mult: int | None, value: float | None,
                        l95: float | None, u95: float | None, l998: float | None,
                        u998: float | None) -> None:
    counts: list[int | None]
    if area == "testdata_1976":
        counts, pops, std = list(DSR_1976[0]), DSR_1976[1], DSR_1976[2]
        # The published 99.8% limits for testdata_1976 are ten times the rate they belong
        # to (the lower limit exceeds the value itself); they are compared after dividing
        # by 10. The 95% limits and the value are compared as published.
        assert l998 is not None and u998 is not None
        l998, u998 = l998 / 10, u998 / 10
    else:
        counts, pops = DSR_INPUTS[area]
        std = ESP2013
    for conf, low, high in ((0.95, l95, u95), (0.998, l998, u998)):
        res = dsr_dobson(counts, pops, std, multiplier=mult or 100000, confidence=conf)
        assert res.total_count == total
        assert close(res.value, value), area
        assert close(res.lower, low), (area, conf)
        assert close(res.upper, high), (area, conf)


def test_dsr_dobson_check_value_from_reference_readme() -> None:
    # reference README `computed` check: 1043.0248 (971.7709, 1117.8941) per 10,000.
    value, low, high, _ = dsr_dobson(*DSR_INPUTS["testdata_big"], ESP2013, multiplier=10000)
    assert (round(value, 4), round(low, 4), round(high, 4)) == (1043.0248, 971.7709, 1117.8941)


def test_dsr_pluggable_standard_and_invalid_input() -> None:
    counts, pops = DSR_INPUTS["testdata_big"]
    doubled = dsr_dobson(counts, pops, [2 * s for s in ESP2013])
    assert doubled.value == pytest.approx(dsr_dobson(counts, pops, ESP2013).value)
    assert math.isnan(dsr_dobson(counts, [0, *pops[1:]], ESP2013).value)
    assert math.isnan(dsr_dobson(counts, [None, *pops[1:]], ESP2013).value)
    assert math.isnan(dsr_dobson([-1, *counts[1:]], pops, ESP2013).value)
    with pytest.raises(ValueError):
        dsr_dobson(counts, pops, ESP2013[:-1])
    # a lower minimum count computes the tiny area too (exact limits on 9 events)
    tiny = dsr_dobson(*DSR_INPUTS["testdata_tiny"], ESP2013, min_count=1)
    assert tiny.total_count == 9 and tiny.lower < tiny.value < tiny.upper


def test_us2000_standard_population() -> None:
    # NCHS NVSR 47(3) 1998 Table I: 11 age groups, weights total 1.0.
    assert len(US2000_STANDARD_11) == len(US2000_WEIGHTS_11) == 11
    assert list(US2000_STANDARD_11) == list(US2000_WEIGHTS_11)
    assert list(US2000_STANDARD_11)[0] == "Under 1 year"
    assert US2000_STANDARD_11["35-44 years"] == 44_659_000
    assert sum(US2000_STANDARD_11.values()) == 274_634_000
    assert sum(US2000_WEIGHTS_11.values()) == pytest.approx(1.0, abs=1e-12)
    total = sum(US2000_STANDARD_11.values())
    for group, pop in US2000_STANDARD_11.items():
        # weights are population shares to 6 decimals (75-84 rounded up in the source)
        assert US2000_WEIGHTS_11[group] == pytest.approx(pop / total, abs=1.5e-6), group
    # weights or populations give the same standardised rate
    counts = [1, 5, 10, 12, 20, 40, 80, 150, 300, 500, 400]
    pops = [50_000, 200_000, 500_000, 480_000, 470_000, 560_000, 460_000, 300_000,
            230_000, 150_000, 50_000]
    a = dsr_dobson(counts, pops, list(US2000_STANDARD_11.values()))
    b = dsr_dobson(counts, pops, list(US2000_WEIGHTS_11.values()))
    assert a.value == pytest.approx(b.value, rel=1e-5)


def test_fay_feuer_one_group_is_exact_poisson() -> None:
    for x in (0, 1, 5, 30):
        res = dsr_fay_feuer([x], [1000], [1], multiplier=100000)
        lo, hi = (v / 1000 * 100000 for v in poisson_exact(x))
        assert res.value == pytest.approx(x * 100)
        assert res.lower == pytest.approx(float(lo), rel=1e-9, abs=1e-12)
        assert res.upper == pytest.approx(float(hi), rel=1e-9)


def test_fay_feuer_contains_value_and_is_conservative() -> None:
    counts, pops = DSR_INPUTS["testdata_big"]
    ff = dsr_fay_feuer(counts, pops, ESP2013, multiplier=10000)
    dob = dsr_dobson(counts, pops, ESP2013, multiplier=10000)
    assert ff.value == pytest.approx(dob.value)
    assert ff.lower < ff.value < ff.upper
    assert ff.upper > dob.upper  # the gamma interval is the more conservative one
    assert math.isnan(dsr_fay_feuer(counts, [0, *pops[1:]], ESP2013).value)


# --- edge cases ------------------------------------------------------------------------


def test_z_value() -> None:
    assert z_value(0.95) == pytest.approx(1.959963984540054)
    assert z_value(0.998) == pytest.approx(3.090232306167813)
    for bad in (0.0, 1.0, 95, -0.5):
        with pytest.raises(ValueError):
            z_value(bad)
    with pytest.raises(ValueError):
        wilson(1, 2, confidence=95)


def test_proportion_edges() -> None:
    for fn in (wilson, clopper_pearson):
        lo, hi = fn([0, 30, 5, 5, 6, -1, np.nan, 3], [30, 30, 0, np.nan, 5, 5, 5, 10])
        assert lo[0] == 0.0 and 0 < hi[0] < 1
        assert hi[1] == 1.0 and 0 < lo[1] < 1
        assert np.isnan(lo[2:7]).all() and np.isnan(hi[2:7]).all()
        assert 0 < lo[7] < 0.3 < hi[7] < 1


def test_scalar_in_gives_0d_array_out() -> None:
    lo, hi = wilson(65, 100)
    assert isinstance(lo, np.ndarray) and lo.shape == () and lo.dtype == np.float64
    lo, hi = wilson(None, 100)
    assert math.isnan(float(lo)) and math.isnan(float(hi))


def test_count_edges() -> None:
    for fn in (poisson_exact, byars):
        lo, hi = fn([0, -1, np.nan])
        assert lo[0] == 0.0 and hi[0] > 0
        assert np.isnan(lo[1:]).all() and np.isnan(hi[1:]).all()
    lo, hi = poisson_exact(0)
    assert float(hi) == pytest.approx(-math.log(0.025))  # 3.689: the exact upper for 0
    lo, hi = poisson_rate([0, 9, 10, 5, 5], [100, 100, 100, 0, -3], multiplier=100)
    assert lo[0] == 0.0
    assert float(lo[1]) == pytest.approx(float(poisson_exact(9)[0]), rel=1e-12)
    assert float(lo[2]) == pytest.approx(float(byars(10)[0]), rel=1e-12)
    assert np.isnan(lo[3:]).all() and np.isnan(hi[3:]).all()


def test_broadcasting() -> None:
    lo, hi = poisson_rate(np.array([[1], [20]]), np.array([100, 1000]), multiplier=1000)
    assert lo.shape == (2, 2)
    assert float(lo[1, 0]) == pytest.approx(float(lo[1, 1]) * 10)


def test_relative_standard_error_and_reliability() -> None:
    rse = relative_standard_error([0, 4, 20, 100, np.nan, -1])
    assert np.isnan(rse[[0, 4, 5]]).all()
    np.testing.assert_allclose(rse[1:4], [0.5, 1 / math.sqrt(20), 0.1])
    events = np.array([19, 20, 100, np.nan, 50])
    got = is_reliable(events, [0.2, 0.2, 0.1, 0.1, 0.31])
    assert got.dtype == bool
    assert got.tolist() == [False, True, True, False, False]
    assert is_reliable([19, 20, 11], None).tolist() == [False, True, False]
    assert is_reliable([12], None, min_events=11, max_rse=0.3).tolist() == [True]
    assert is_reliable(20, 0.30).tolist() is True  # boundary: 20 events, RSE 30%


# --- properties ------------------------------------------------------------------------


@given(st.integers(0, 10_000), st.integers(1, 10_000),
       st.sampled_from([0.8, 0.9, 0.95, 0.99, 0.998]))
def test_proportion_intervals_contain_estimate(x: int, n: int, conf: float) -> None:
    x = min(x, n)
    p = x / n
    for fn in (wilson, clopper_pearson):
        lo, hi = (float(v) for v in fn(x, n, confidence=conf))
        assert 0.0 <= lo <= p + 1e-12
        assert p - 1e-12 <= hi <= 1.0
    # at x = 0 the exact upper limit has a closed form: 1 - (alpha/2)^(1/n)
    if x == 0:
        cp_hi = float(clopper_pearson(0, n, confidence=conf)[1])
        assert cp_hi == pytest.approx(1 - ((1 - conf) / 2) ** (1 / n), rel=1e-9)


@given(st.integers(0, 5000))
def test_poisson_limits_contain_count_and_widen(x: int) -> None:
    for fn in (poisson_exact, byars):
        lo95, hi95 = (float(v) for v in fn(x))
        lo998, hi998 = fn(x, confidence=0.998)
        assert lo95 <= x <= hi95
        assert float(hi998) >= hi95
        assert np.isnan(lo998) or float(lo998) <= lo95
    if x >= 100:  # Byars is a close approximation for large counts
        assert float(byars(x)[0]) == pytest.approx(float(poisson_exact(x)[0]), rel=2e-3)


# --- medians: distribution-free order-statistic intervals ---------------------------------


@pytest.mark.parametrize(("n", "low", "high"), [(6, 1, 6), (10, 2, 9), (20, 6, 15), (100, 40, 61)])
def test_median_ranks_campbell_gardner(n: int, low: int, high: int) -> None:
    """Ranks of the 95% interval for a median: Campbell & Gardner (1988), BMJ 296:1454,
    Table (exact binomial ranks; n = 100 → the 40th and 61st values)."""
    from metrics.intervals import median_ranks

    k, u = median_ranks(n)
    assert (float(k), float(u)) == (low, high)


def test_median_ranks_undefined_for_tiny_samples_and_vectorised() -> None:
    from metrics.intervals import median_ranks

    k, u = median_ranks([5, 10, None])
    assert np.isnan(k[0]) and np.isnan(u[0]) and (k[1], u[1]) == (2.0, 9.0) and np.isnan(k[2])


@given(st.integers(6, 400))
def test_median_ranks_cover_at_least_the_level_and_are_the_shortest(n: int) -> None:
    from scipy.stats import binom

    from metrics.intervals import median_ranks

    k = int(median_ranks(n)[0])
    coverage = 1 - 2 * binom.cdf(k - 1, n, 0.5)
    assert coverage >= 0.95 - 1e-12
    assert 1 - 2 * binom.cdf(k, n, 0.5) < 0.95  # one rank further in loses the coverage


def test_median_interval_and_reliability() -> None:
    from metrics.intervals import median_interval, median_reliable

    values = [7.0, 3.0, 9.0, None, 1.0, 5.0, 10.0, 2.0, 8.0, 4.0, 6.0]
    assert median_interval(values) == (2.0, 9.0)  # 10 values: 2nd and 9th
    lo, hi = median_interval([1.0, 2.0, 3.0])
    assert np.isnan(lo) and np.isnan(hi)
    # 15 days, interval 14 to 16 from 400 records: implied RSE 1/1.96/15 = 3.4%: reliable
    assert bool(median_reliable(400, 14.0, 16.0, 15.0))
    assert not bool(median_reliable(19, 14.0, 16.0, 15.0))  # too few records
    assert not bool(median_reliable(400, 5.0, 30.0, 15.0))  # implied RSE 43%
    assert not bool(median_reliable(400, None, None, 15.0))
