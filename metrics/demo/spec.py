"""The fictional State of Lakeland: agencies, regions, priorities and KPIs.

Everything here is invented.  Populations, disparities and trends are set so
that the demo looks like a real state's dashboard: some KPIs on track, some at
risk, some off track, small cells in small regions, one feed late.
"""

from __future__ import annotations

STATE_NAME = "State of Lakeland"

AGENCIES = [
    ("doh", "Department of Health", "Dr. Amara Osei", "amara.osei@health.lakeland.gov"),
    ("dlw", "Department of Labor and Workforce", "Luis Ortega", "luis.ortega@labor.lakeland.gov"),
    ("doe", "Department of Education", "Grace Kim", "grace.kim@education.lakeland.gov"),
    ("dps", "Department of Public Safety", "Marcus Bell", "marcus.bell@safety.lakeland.gov"),
    ("dhs", "Department of Human Services", "Nadia Haddad", "nadia.haddad@dhs.lakeland.gov"),
    ("hfa", "Housing Finance Agency", "Tom Whitehorse", "tom.whitehorse@housing.lakeland.gov"),
    ("doc", "Department of Corrections", "Ellen Park", "ellen.park@corrections.lakeland.gov"),
]

# region_id, name, population, grid column, grid row, group mix (aian, asian, black,
# hispanic, mena, nhpi, white, multiracial, unknown) as weights
REGIONS = [
    ("R01", "Capital", 1_150_000, 2, 1, (1, 7, 18, 17, 3, 0.4, 46, 4, 3)),
    ("R02", "Harbor", 640_000, 4, 0, (1, 9, 22, 14, 4, 0.8, 42, 4, 3)),
    ("R03", "Prairie", 210_000, 0, 1, (4, 1, 3, 12, 0.5, 0.1, 74, 3, 2)),
    ("R04", "Summit", 95_000, 1, 0, (9, 1, 1, 8, 0.3, 0.1, 75, 3, 2.5)),
    ("R05", "Riverbend", 380_000, 3, 1, (1, 4, 14, 22, 2, 0.3, 51, 3.5, 2)),
    ("R06", "Lakeshore", 470_000, 3, 0, (1, 6, 10, 11, 5, 0.5, 61, 4, 2)),
    ("R07", "Pine Hills", 42_000, 0, 0, (14, 0.5, 1, 5, 0.2, 0.1, 74, 3, 2)),
    ("R08", "Mesa", 160_000, 4, 1, (3, 2, 4, 35, 1, 0.2, 50, 3, 2)),
    ("R09", "Valley", 280_000, 2, 0, (1, 3, 9, 26, 1.5, 0.3, 55, 3, 2)),
    ("R10", "Cedar", 125_000, 1, 1, (2, 1.5, 6, 10, 0.8, 0.2, 75, 3, 1.5)),
]

PRIORITIES = [
    ("healthy", "Healthy people and families", "Lakelanders live longer, healthier lives.", 1),
    ("economy", "Economic opportunity", "Every Lakelander can find good work and get help fast when between jobs.", 2),
    ("education", "Education from cradle to career", "Children start school ready and finish ready for what comes next.", 3),
    ("safety", "Safe communities", "Fewer people hurt by violence, crashes and re-offending.", 4),
    ("housing", "Housing and human services", "Stable homes and timely help for families.", 5),
]

GOALS = [
    ("healthy-births", "healthy", "Healthy births"),
    ("healthy-overdose", "healthy", "Fewer overdose deaths"),
    ("healthy-prevention", "healthy", "Children protected by prevention"),
    ("economy-ui", "economy", "Timely unemployment insurance"),
    ("economy-jobs", "economy", "Training that leads to jobs"),
    ("education-early", "education", "Ready for kindergarten"),
    ("education-attendance", "education", "In school every day"),
    ("education-college", "education", "Ready for college and career"),
    ("safety-violence", "safety", "Less violence"),
    ("safety-roads", "safety", "Safer roads"),
    ("safety-reentry", "safety", "Successful re-entry"),
    ("housing-homes", "housing", "Stable homes"),
    ("housing-benefits", "housing", "Timely benefits"),
    ("housing-children", "housing", "Children safe at home"),
]

# Aggregate KPIs generated from a model.
# kpi_id: (name, goal, agency, feed, indicator, measure, unit, multiplier, direction, grain,
#          base statewide value (in display units), annual trend (relative, negative = falling),
#          group factors (aian, asian, black, hispanic, mena, nhpi, white, multi, unknown),
#          denominator: "pop" share of population per month or a fixed per-capita volume,
#          target design: desired status ("on", "risk", "off", "met", "none"))
AGG_KPIS: dict[str, dict] = {
    "infant_mortality": dict(
        name="Infant mortality rate", goal="healthy-births", agency="doh", feed="doh_vital",
        indicator="infant_deaths", measure="rate", unit="per 1,000 live births", mult=1000,
        direction="lower", grain="rolling12", base=5.6, trend=-0.03,
        gf=(1.6, 0.7, 2.2, 1.05, 0.9, 1.5, 0.8, 1.1, 1.0), den="births", status="risk",
        equity_rule=True, noun="infant deaths", decimals=1,
        name_es="Tasa de mortalidad infantil", unit_es="por cada 1,000 nacidos vivos"),
    "prenatal_care": dict(
        name="Births with prenatal care in the first trimester", goal="healthy-births",
        agency="doh", feed="doh_vital", indicator="prenatal_first_trimester", measure="proportion",
        unit="%", mult=100, direction="higher", grain="month", base=76.0, trend=0.012,
        gf=(0.82, 1.04, 0.88, 0.86, 0.97, 0.84, 1.06, 0.97, 0.9), den="births", status="on",
        noun="births", decimals=1,
        name_es="Nacimientos con atención prenatal en el primer trimestre"),
    "overdose_deaths": dict(
        name="Drug overdose death rate", goal="healthy-overdose", agency="doh", feed="doh_overdose",
        indicator="", measure="rate", unit="per 100,000", mult=100000, direction="lower",
        grain="rolling12", base=31.0, trend=0.04, gf=(2.1, 0.3, 1.5, 0.8, 0.6, 1.0, 1.0, 1.2, 1.0),
        den="pop", status="off", noun="deaths", decimals=1, age_column="age_group",
        name_es="Tasa de mortalidad por sobredosis de drogas", unit_es="por cada 100,000"),
    "child_vaccination": dict(
        name="Two-year-olds with all recommended vaccines", goal="healthy-prevention", agency="doh",
        feed="doh_immunization", indicator="", measure="proportion", unit="%", mult=100,
        direction="higher", grain="quarter", base=71.0, trend=0.01,
        gf=(0.88, 1.08, 0.9, 0.97, 0.98, 0.9, 1.02, 0.95, 0.85), den="age2", status="risk",
        noun="children", decimals=1,
        name_es="Niños de dos años con todas las vacunas recomendadas"),
    "job_placements": dict(
        name="Job seekers placed in work", goal="economy-jobs", agency="dlw", feed="dlw_placements",
        indicator="", measure="count", unit="people", mult=1, direction="higher", grain="month",
        base=5200, trend=0.05, gf=(0.8, 1.0, 1.0, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0), den="none",
        status="on", noun="placements", decimals=0, status_basis="rolling12",
        name_es="Personas en busca de empleo que consiguieron trabajo", unit_es="personas"),
    "kindergarten_readiness": dict(
        name="Children ready for kindergarten", goal="education-early", agency="doe",
        feed="doe_students", indicator="k_ready", measure="proportion", unit="%", mult=100,
        direction="higher", grain="fiscal", base=58.0, trend=0.015,
        gf=(0.78, 1.1, 0.84, 0.82, 0.95, 0.85, 1.08, 0.98, 0.9), den="age5", status="risk",
        noun="children", decimals=1,
        name_es="Niños preparados para el kínder"),
    "chronic_absenteeism": dict(
        name="Students chronically absent", goal="education-attendance", agency="doe",
        feed="doe_students", indicator="chronic_absent", measure="proportion", unit="%", mult=100,
        direction="lower", grain="month", base=24.0, trend=-0.05,
        gf=(1.7, 0.55, 1.35, 1.25, 0.9, 1.5, 0.85, 1.05, 1.1), den="students", status="on",
        noun="students", decimals=1, seasonal=0.25, status_basis="rolling12",
        name_es="Estudiantes con ausentismo crónico"),
    "fafsa_completion": dict(
        name="Seniors completing the FAFSA", goal="education-college", agency="doe",
        feed="doe_students", indicator="fafsa", measure="proportion", unit="%", mult=100,
        direction="higher", grain="month", base=52.0, trend=0.0,
        gf=(0.7, 1.2, 0.9, 0.82, 1.0, 0.85, 1.02, 0.97, 0.8), den="seniors", status="off",
        noun="seniors", decimals=1,
        name_es="Estudiantes de último año que completan la FAFSA"),
    "graduation_rate": dict(
        name="Four-year high school graduation rate", goal="education-college", agency="doe",
        feed="doe_graduation", indicator="", measure="proportion", unit="%", mult=100,
        direction="higher", grain="year", base=86.0, trend=0.006,
        gf=(0.85, 1.08, 0.93, 0.94, 1.0, 0.92, 1.03, 0.99, 0.9), den="seniors_year", status="met",
        noun="students", decimals=1,
        name_es="Tasa de graduación de la escuela secundaria en cuatro años"),
    "violent_crime": dict(
        name="Violent crime rate", goal="safety-violence", agency="dps", feed="dps_incidents",
        indicator="violent", measure="rate", unit="per 100,000", mult=100000, direction="lower",
        grain="quarter", base=385.0, trend=-0.04, gf=(1.6, 0.5, 2.1, 1.2, 0.9, 1.4, 0.75, 1.1, 1.0),
        den="pop", status="on", noun="incidents", decimals=0,
        name_es="Tasa de delitos violentos", unit_es="por cada 100,000"),
    "traffic_fatalities": dict(
        name="Traffic fatalities", goal="safety-roads", agency="dps", feed="dps_incidents",
        indicator="traffic_fatal", measure="count", unit="deaths", mult=1, direction="lower",
        grain="month", base=48, trend=0.02, gf=(2.5, 0.5, 1.2, 1.1, 0.9, 1.0, 0.95, 1.0, 1.0),
        den="none", status="off", noun="deaths", decimals=0, seasonal=0.2, status_basis="rolling12",
        name_es="Muertes en accidentes de tránsito", unit_es="muertes"),
    "recidivism": dict(
        name="Released people returning to prison within a year", goal="safety-reentry",
        agency="doc", feed="doc_releases", indicator="", measure="proportion", unit="%", mult=100,
        direction="lower", grain="quarter", base=34.0, trend=-0.03,
        gf=(1.15, 0.8, 1.1, 1.0, 0.9, 1.1, 0.93, 1.0, 1.0), den="releases", status="risk",
        noun="people", decimals=1,
        name_es="Personas liberadas que vuelven a prisión en un plazo de un año"),
    "homelessness": dict(
        name="People experiencing homelessness", goal="housing-homes", agency="hfa",
        feed="hfa_homelessness", indicator="", measure="rate", unit="per 10,000", mult=10000,
        direction="lower", grain="quarter", base=18.0, trend=0.03,
        gf=(3.5, 0.5, 3.2, 1.3, 1.0, 2.5, 0.6, 1.6, 1.0), den="pit", status="off",
        noun="people", decimals=1,
        name_es="Personas sin hogar", unit_es="por cada 10,000"),
    "eviction_filings": dict(
        name="Eviction filing rate", goal="housing-homes", agency="hfa", feed="hfa_evictions",
        indicator="", measure="rate", unit="per 1,000 renter households", mult=1000,
        direction="lower", grain="month", base=4.2, trend=-0.02,
        gf=(1.4, 0.6, 2.3, 1.3, 0.9, 1.3, 0.7, 1.2, 1.0), den="renters", status="none",
        noun="filings", decimals=2, late=True,
        name_es="Tasa de demandas de desalojo", unit_es="por cada 1,000 hogares que alquilan"),
    "snap_timeliness": dict(
        name="SNAP applications decided within 30 days", goal="housing-benefits", agency="dhs",
        feed="dhs_snap", indicator="", measure="proportion", unit="%", mult=100,
        direction="higher", grain="month", base=88.0, trend=0.01,
        gf=(0.97, 1.0, 0.99, 0.98, 0.96, 0.98, 1.0, 1.0, 0.99), den="snap_apps", status="on",
        noun="applications", decimals=1,
        name_es="Solicitudes del SNAP resueltas en un plazo de 30 días"),
    "repeat_maltreatment": dict(
        name="Children with a repeat maltreatment finding within 12 months",
        goal="housing-children", agency="dhs", feed="dhs_child_welfare", indicator="",
        measure="proportion", unit="%", mult=100, direction="lower", grain="rolling12", base=7.5,
        trend=-0.02, gf=(1.5, 0.7, 1.3, 1.1, 1.0, 1.2, 0.95, 1.1, 1.0), den="cw_cases",
        status="risk", noun="children", decimals=1, public=False),
}

# Record-level KPIs (Department of Labor and Workforce).
RECORD_KPIS: dict[str, dict] = {
    "ui_paid_21_days": dict(
        name="Unemployment claims first paid within 21 days", goal="economy-ui", agency="dlw",
        feed="dlw_ui_claims", measure="proportion", unit="%", direction="higher", grain="month",
        filter="paid", numerator="days_to_payment <= 21", denominator="", value="",
        status="risk", noun="claims", decimals=1,
        name_es="Solicitudes de seguro de desempleo pagadas por primera vez en un plazo de "
        "21 días"),
    "ui_median_days": dict(
        name="Median days from claim to first payment", goal="economy-ui", agency="dlw",
        feed="dlw_ui_claims", measure="median", unit="days", direction="lower", grain="month",
        filter="paid", numerator="", denominator="", value="days_to_payment", status="on",
        noun="claims", decimals=0,
        name_es="Mediana de días desde la solicitud hasta el primer pago", unit_es="días"),
    "ui_weekly_benefit": dict(
        name="Average weekly benefit paid", goal="economy-ui", agency="dlw", feed="dlw_ui_claims",
        measure="mean", unit="$", direction="higher", grain="month", filter="paid", numerator="",
        denominator="", value="weekly_benefit", status="none", noun="claims", decimals=0,
        name_es="Promedio del beneficio semanal pagado"),
    "training_employment": dict(
        name="Training completers with wages within two quarters", goal="economy-jobs",
        agency="dlw", feed="dlw_training_exits", measure="proportion", unit="%",
        direction="higher", grain="quarter", filter="completed", numerator="", denominator="",
        value="", link=("dlw_wages", "person_id", "wage_date", 183, "wages > 0"), status="on",
        noun="completers", decimals=1,
        name_es="Personas que completaron una capacitación y tuvieron salarios en un plazo de "
        "dos trimestres"),
}
