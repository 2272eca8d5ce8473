"""A local Apache Spark session for tests: one per test session (it takes seconds to start).

``spark_local`` yields the location URL ``spark:local[2]`` once its session is up (the same
session StatDesk's engine uses for that URL). Without PySpark or Java the Spark cases are
skipped with the reason, unless ``STATDESK_REQUIRE_SPARK=1`` (then they fail).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

SPARK_URL = "spark:local[2]"


def _missing(reason: str) -> None:
    if os.environ.get("STATDESK_REQUIRE_SPARK") == "1":
        pytest.fail(f"{reason} (STATDESK_REQUIRE_SPARK=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark_local() -> Iterator[str]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _missing("PySpark is not installed (pip install 'statdesk[spark]'); Spark tests skipped")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _missing("no Java runtime (apt-get install openjdk-17-jre-headless); Spark tests skipped")
    from metrics.engine import backends

    session = backends.spark_session(SPARK_URL)
    try:
        yield SPARK_URL
    finally:
        backends.stop_spark(SPARK_URL)
        del session
