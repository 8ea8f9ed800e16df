"""The alert rules and the Grafana dashboard in k8s/base/monitoring/, checked offline: they parse,
ship in every overlay, and every expression names only metrics, labels and PromQL functions that
exist (a renamed metric or a typo fails here, not silently in production)."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.k8s.manifests import K8S, Manifests

MONITORING = K8S / "base" / "monitoring"
RULES = MONITORING / "alerts.yaml"
DASHBOARD = MONITORING / "dashboards" / "lammesh.json"

# Labels Prometheus adds to every scraped series (the ServiceMonitor's targets and targetLabels).
TARGET_LABELS = {"namespace", "pod", "job", "instance", "service", "container", "endpoint", "app_kubernetes_io_name"}
PROMETHEUS_OWN = {"up": set()}
FUNCTIONS = {
    "abs",
    "absent",
    "avg",
    "avg_over_time",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "count",
    "count_over_time",
    "delta",
    "deriv",
    "floor",
    "histogram_quantile",
    "increase",
    "irate",
    "label_replace",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "quantile",
    "rate",
    "round",
    "sort",
    "sort_desc",
    "stddev",
    "sum",
    "sum_over_time",
    "time",
    "topk",
    "bottomk",
    "vector",
    "scalar",
    "group",
}
KEYWORDS = {"and", "or", "unless", "bool", "offset"}


@cache
def known_metrics() -> dict[str, set[str]]:
    """Every sample name the code exports, with its label names."""
    import lammesh.metrics
    import lammesh.watchers.servicer  # noqa: F401
    import lammesh_services.watchers.pii.detectors  # noqa: F401

    known: dict[str, set[str]] = dict(PROMETHEUS_OWN)
    for collector, names in REGISTRY._collector_to_names.items():
        labels = set(getattr(collector, "_labelnames", ()))
        if not labels and hasattr(collector, "collect"):
            labels = {label for family in collector.collect() for label in getattr(family, "_labelnames", ())}
        for name in names:
            known[name] = labels
    return known


def problems(expr: str) -> list[str]:
    """What is wrong with a PromQL expression: unknown metrics, labels or functions, unbalanced brackets."""
    found = []
    for open_, close in ("()", "{}", "[]"):
        if expr.count(open_) != expr.count(close):
            found.append(f"unbalanced {open_}{close}")
    text = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # label values and Grafana variables in them
    text = re.sub(r"\[[^\]]*\]", "", text)  # range durations
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\b\d+(\.\d+)?([eE][-+]?\d+)?\b", "0", text)
    metrics = known_metrics()
    for match in re.finditer(r"([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?\s*(\()?", text):
        name, matchers, call = match.groups()
        if call and not matchers:
            if name not in FUNCTIONS:
                found.append(f"unknown function {name}")
            continue
        if name in KEYWORDS:
            continue
        if name not in metrics:
            found.append(f"unknown metric {name}")
            continue
        for label in re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers or ""):
            if label not in metrics[name] | TARGET_LABELS:
                found.append(f"{name} has no label {label} (it has {sorted(metrics[name])})")
    return found


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def test_the_checker_catches_what_it_is_for():
    assert problems('sum by (workflow) (rate(lammesh_tasks_finished_total{outcome="failed"}[5m])) > 0') == []
    assert problems("rate(lammesh_tasks_finishd_total[5m])") == ["unknown metric lammesh_tasks_finishd_total"]
    assert problems('rate(lammesh_tasks_finished_total{status="failed"}[5m])')[0].startswith(
        "lammesh_tasks_finished_total has no label status"
    )
    assert problems("rates(lammesh_tasks_finished_total[5m])") == ["unknown function rates"]
    assert problems("sum(rate(lammesh_tasks_finished_total[5m])") == ["unbalanced ()"]


def test_every_alert_is_complete_and_names_only_existing_metrics():
    alerts = rules()
    assert len(alerts) >= 8
    assert len({r["alert"] for r in alerts}) == len(alerts), "alert names repeat"
    for rule in alerts:
        assert set(rule) >= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"].get("summary"), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert problems(rule["expr"]) == [], rule["alert"]


def test_every_dashboard_query_names_only_existing_metrics():
    board = dashboard()
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels), "panel ids repeat"
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    assert all(p["targets"] for p in panels)
    for expr in exprs:
        assert problems(expr) == [], expr
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", variable["query"]["query"]).groups()
            assert label in known_metrics()[metric], variable["name"]
    # What the issue asks a dashboard for: outcomes, step durations, verdicts, compensations, the review queue.
    used = " ".join(exprs)
    for metric in (
        "lammesh_tasks_finished_total",
        "lammesh_step_seconds_bucket",
        "lammesh_watcher_verdicts_total",
        "lammesh_compensations_total",
        "lammesh_reviews_pending",
    ):
        assert metric in used, metric


@pytest.mark.parametrize(
    ("name", "key", "source"),
    [
        ("lammesh-prometheus-rules", "alerts.yaml", RULES),
        ("lammesh-grafana-dashboard", "lammesh.json", DASHBOARD),
    ],
)
def test_the_rules_and_the_dashboard_ship_in_every_overlay(manifests: Manifests, name: str, key: str, source) -> None:
    configmap = manifests.configmap(name)
    assert configmap["data"][key] == source.read_text()
    assert configmap["metadata"]["labels"]["app.kubernetes.io/part-of"] == "lammesh"
    if name == "lammesh-grafana-dashboard":
        assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"  # the Grafana sidecar's default label
