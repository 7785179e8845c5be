#!/usr/bin/env python3
"""Check the alert rules and the Grafana dashboard against METRICS.md and promtool.

    python3 Tests/scripts/check-monitoring.py

Checks that:
  - every metric name in the rules and the dashboard's queries is a family in METRICS.md, a
    recording rule of the rules file, or a series Prometheus makes itself (`up`, `ALERTS`). A
    name that only a pattern row such as `node_hwmon_<type>_<property>_<unit>` covers must also
    appear in a committed exposition, because a pattern accepts a misspelt name as well;
  - every alert has a `severity` label (critical, warning or info) and `summary` and
    `description` annotations, and a promtool test case that expects it to fire;
  - the dashboard is valid JSON, equals the output of grafana/generate-dashboard.py, has the
    `datasource` and `instance` variables, and every panel has a datasource and a unique id;
  - `promtool check rules` accepts the rules and every dashboard query, and `promtool test rules`
    passes.

Prints one line per problem and exits 1 if there is any. Without promtool on PATH the promtool
checks are skipped, unless CI=true, where that is a failure. Standard library only.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
METRICS = REPO / "METRICS.md"
RULES = REPO / "exporters" / "rules" / "ember-alerts.yml"
RULE_TESTS = REPO / "exporters" / "rules" / "ember-alerts.test.yml"
DASHBOARD = REPO / "grafana" / "dashboards" / "ember-board.json"
GENERATOR = REPO / "grafana" / "generate-dashboard.py"
# Committed expositions: the golden outputs of the RK3588 trees and node_exporter 1.5's output.
EXPOSITIONS = sorted((REPO / "Tests" / "Fixtures" / "golden").glob("*.prom")) + [
    REPO / "Tests" / "Fixtures" / "node-exporter" / "node_exporter-1.5-output.prom"]
# Names that only a pattern row covers and no committed exposition contains, each with the reason
# the name is right. node_exporter 1.5 appends the sensor type's unit to every property but a
# bare `alarm`, so inN_min_alarm becomes node_hwmon_in_min_alarm_volts.
UNEXPOSED_PATTERN_NAMES = {
    "node_hwmon_in_min_alarm_volts": "inN_min_alarm, named as node_exporter 1.5 names it",
    "node_hwmon_in_lcrit_alarm_volts": "inN_lcrit_alarm, named as node_exporter 1.5 names it",
}

# Series that Prometheus itself writes: the scrape health and the state of alerts.
PROMETHEUS_SERIES = {"up", "ALERTS", "ALERTS_FOR_STATE"}
SEVERITIES = {"critical", "warning", "info"}
PROMQL_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
                   "bool", "offset", "inf", "nan"}
# Values for Grafana's variables, so that a dashboard query parses as plain PromQL.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m", "$instance": "board:9811"}


def reference_families(path):
    """Return the exact family names of METRICS.md and the prefixes of its pattern rows.

    A pattern row such as `node_hwmon_<type>_<property>_<unit>` covers every name that starts
    with the text before its first `<`, as MetricsReferenceTests reads it. The row's own text
    states which parts a name may drop (`node_hwmon_power_watt` has no property).
    """
    names, prefixes = set(), []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|", line)
        if not match:
            continue
        name = match.group(1)
        if "<" in name:
            prefixes.append(name[:name.index("<")])
        else:
            names.add(name)
    return names, prefixes


def metric_names(expr):
    """Return the metric names an expression selects.

    Strings, label matchers, ranges and grouping label lists are removed first, then every
    identifier that is not a keyword and not followed by `(` (a function or an aggregation) is a
    metric name.
    """
    text = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w:.$])([A-Za-z_:][\w:]*)(?![\w:])(?!\s*\()", text):
        if match.group(1).lower() not in PROMQL_KEYWORDS:
            names.add(match.group(1))
    return names


def indentation(line):
    return len(line) - len(line.lstrip())


def yaml_scalar(lines, index, value):
    """Return the value of a `key: value` line of a rules file and the index after it.

    Handles the forms the rules file uses: a plain or quoted value on the line, or a block
    scalar (`|`, `>-` and the like) on the more-indented lines that follow. Folding is not
    applied, which changes no metric name.
    """
    value = value.strip()
    if not value or value[0] not in "|>":
        return value.strip("'\""), index + 1
    indent = indentation(lines[index])
    block, index = [], index + 1
    while index < len(lines) and (not lines[index].strip() or indentation(lines[index]) > indent):
        block.append(lines[index].strip())
        index += 1
    return "\n".join(block), index


def parse_rules(path):
    """Return the rules of a rules file as dicts of the keys this checker reads.

    The keys are alert or record, expr, severity, summary and description. This is a minimal
    reader for the layout of ember-alerts.yml, because the standard library has no YAML parser.
    promtool checks the file's full syntax.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    rules, index = [], 0
    while index < len(lines):
        match = re.match(r"\s*(- )?(alert|record|expr|severity|summary|description):(.*)", lines[index])
        if not match:
            index += 1
            continue
        key = match.group(2)
        value, index = yaml_scalar(lines, index, match.group(3))
        if key in ("alert", "record"):
            rules.append({key: value})
        elif rules:
            rules[-1][key] = value
    return rules


def firing_tests(path):
    """Return the alert names that some test case of the promtool test file expects to fire."""
    names, current = set(), None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("- eval_time:"):
            current = None
        elif stripped.startswith("alertname:"):
            current = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("exp_alerts:") and current:
            names.add(current)
    return names


def check_rule_fields(rules, tested):
    problems = []
    for rule in rules:
        if "alert" not in rule:
            continue
        name = rule["alert"]
        if rule.get("severity") not in SEVERITIES:
            problems.append(f"{RULES.name}: {name}: severity must be one of {sorted(SEVERITIES)}")
        for annotation in ("summary", "description"):
            if not rule.get(annotation):
                problems.append(f"{RULES.name}: {name}: missing the {annotation} annotation")
        if name not in tested:
            problems.append(f"{RULE_TESTS.name}: no test case expects {name} to fire")
    return problems


def exposed_names(paths):
    """Return the family names of the series in Prometheus text files."""
    names = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"([A-Za-z_:][\w:]*)[{ ]", line)
            if match:
                names.add(match.group(1))
    return names


def unknown_names(where, exprs, known, exposed):
    names, prefixes = known
    problems = []
    for expr in exprs:
        first_line = expr.splitlines()[0]
        for name in sorted(metric_names(expr)):
            if name in names:
                continue
            if not name.startswith(tuple(prefixes)):
                problems.append(f"{where}: {name} is not a family in METRICS.md: {first_line}")
            elif name not in exposed and name not in UNEXPOSED_PATTERN_NAMES:
                problems.append(f"{where}: {name} matches only a pattern row of METRICS.md and is in no committed "
                                f"exposition; check its spelling against the collector: {first_line}")
    return problems


def dashboard_panels(dashboard):
    """Yield every panel, including the panels of collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dashboard):
    """Return the PromQL of every target and annotation, and the metric of each `label_values` variable."""
    exprs = [t["expr"] for p in dashboard_panels(dashboard) for t in p.get("targets", []) if "expr" in t]
    exprs += [a["expr"] for a in dashboard.get("annotations", {}).get("list", []) if "expr" in a]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        match = re.match(r"label_values\(\s*([^,)]+)", text)
        if match:
            exprs.append(match.group(1).strip())
    return exprs


def check_dashboard_structure(dashboard):
    problems, seen = [], set()
    for panel in dashboard_panels(dashboard):
        title = panel.get("title", "?")
        if not panel.get("datasource"):
            problems.append(f"{DASHBOARD.name}: panel {title!r} has no datasource")
        panel_id = panel.get("id")
        if not isinstance(panel_id, int) or panel_id in seen:
            problems.append(f"{DASHBOARD.name}: panel {title!r} has a missing or repeated id {panel_id!r}")
        seen.add(panel_id)
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    if variables.get("datasource", {}).get("query") != "prometheus":
        problems.append(f"{DASHBOARD.name}: no `datasource` variable of Prometheus data sources")
    if "instance" not in variables:
        problems.append(f"{DASHBOARD.name}: no `instance` variable")
    return problems


def check_generated(text):
    spec = importlib.util.spec_from_file_location("generate_dashboard", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if module.render() != text:
        command = f"python3 {GENERATOR.relative_to(REPO)}"
        return [f"{DASHBOARD.name}: differs from the output of {GENERATOR.name}. Run `{command}` and commit both."]
    return []


def grafana_to_promql(expr):
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def run_promtool(arguments, label):
    result = subprocess.run(["promtool", *arguments], capture_output=True, text=True)
    if result.returncode == 0:
        return []
    return [f"{label} failed:\n{result.stdout}{result.stderr}".rstrip()]


def check_with_promtool(dashboard_exprs):
    if shutil.which("promtool") is None:
        if os.environ.get("CI") == "true":
            return ["promtool is not on PATH. Run Tests/scripts/setup.sh, which installs the prometheus package."]
        print("skipped: promtool checks, promtool is not on PATH")
        return []
    problems = run_promtool(["check", "rules", str(RULES)], "promtool check rules")
    problems += run_promtool(["test", "rules", str(RULE_TESTS)], "promtool test rules")
    with tempfile.TemporaryDirectory() as directory:
        # Each dashboard query becomes a recording rule, so promtool parses it as PromQL.
        path = Path(directory) / "dashboard-queries.yml"
        rules = [{"record": f"dashboard_query_{number}", "expr": grafana_to_promql(expr)}
                 for number, expr in enumerate(dashboard_exprs)]
        path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
        problems += run_promtool(["check", "rules", str(path)], "promtool check rules on the dashboard queries")
    return problems


def main():
    known = reference_families(METRICS)
    rules = parse_rules(RULES)
    known[0].update(rule["record"] for rule in rules if "record" in rule)
    known[0].update(PROMETHEUS_SERIES)

    exposed = exposed_names(EXPOSITIONS)
    problems = check_rule_fields(rules, firing_tests(RULE_TESTS))
    problems += unknown_names(RULES.name, [rule["expr"] for rule in rules if "expr" in rule], known, exposed)

    text = DASHBOARD.read_text(encoding="utf-8")
    try:
        dashboard = json.loads(text)
    except json.JSONDecodeError as error:
        print(f"{DASHBOARD.name}: invalid JSON: {error}")
        return 1
    exprs = dashboard_queries(dashboard)
    problems += check_dashboard_structure(dashboard)
    problems += check_generated(text)
    problems += unknown_names(DASHBOARD.name, exprs, known, exposed)
    problems += check_with_promtool(exprs)

    for problem in problems:
        print(problem)
    alerts = sum(1 for rule in rules if "alert" in rule)
    print(f"{alerts} alerts, {len(exprs)} dashboard queries, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
