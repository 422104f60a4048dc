"""Run health checks from Apache Airflow.

:mod:`dataset_health.airflow.tasks` holds what a task does after an update
finished (archive it, check it, summarise the verdict); it does not import
Airflow, so it is tested without it. :mod:`dataset_health.airflow.example_dag`
wires it into Airflow 3's asset-aware scheduling: copy it into your dags
folder, or import it from there. See docs/airflow.md.
"""
