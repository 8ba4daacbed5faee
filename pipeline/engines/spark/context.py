"""The SparkContext of a run: an active one (a test's, a notebook's, spark-submit's) or a new one,
with clear errors when pyspark, Java or the master is missing."""

from __future__ import annotations

import os
import shutil
import sys
import warnings

from xlmr.common.argtypes import UsageError


def spark_context(master: str | None, settings: list[tuple[str, str]]):
    """The active SparkContext (a test's, a notebook's) or a new one. A run on this machine
    is bound to loopback and its Python workers use this interpreter; spark-submit's own
    master wins unless --spark-master is given. Returns (context, whether this run made it)."""
    try:
        with warnings.catch_warnings():
            # pyspark's import warns that it does not fully support pandas 3; this job uses no pandas
            warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
            from pyspark import SparkConf, SparkContext
    except ImportError as exc:
        raise UsageError("--engine spark needs pyspark: pip install 'xlmr-cc100[spark]'") from exc
    active = SparkContext._active_spark_context
    if active is not None:
        return active, False
    launched_by_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM
    if not launched_by_submit and not _java_available():
        raise UsageError("--engine spark needs a Java runtime (17 or 21) to start Spark: "
                         "apt-get install openjdk-17-jre-headless (Debian, Ubuntu), or set JAVA_HOME")
    conf = SparkConf().setAppName("xlmr-corpus")
    if master or not launched_by_submit:
        conf.setMaster(master or "local[*]")
    if conf.get("spark.master", "").startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # executors of local-cluster read it
        for key in ("spark.driver.host", "spark.driver.bindAddress"):
            conf.setIfMissing(key, "127.0.0.1")
        # PySpark starts Python workers with $PYSPARK_PYTHON (else `python3`), not spark.pyspark.python
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in settings:
        conf.set(key, value)
    try:
        return SparkContext(conf=conf), True
    except Exception as exc:  # Py4J or PySpark errors: the JVM did not start or reach the master
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--spark-master {conf.get('spark.master', '?')}: Spark did not start ({first_line}); "
                         "check the master URL, that the cluster is reachable, and the --conf settings") from exc


def _java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(home and os.path.exists(os.path.join(home, "bin", "java"))) or shutil.which("java") is not None
