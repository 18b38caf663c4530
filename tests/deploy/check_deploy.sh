#!/usr/bin/env bash
# Checks the operator configs under deploy/: the Prometheus config and rules are valid,
# the rules' unit tests pass, the Grafana dashboard is valid JSON, and every metric that
# the rules or the dashboard name is one a role exports (a "name" literal in its C++).
# Usage: check_deploy.sh ROOT        Exit: 0 all passed, 1 a check failed, 77 skipped.
set -euo pipefail
root=${1:?usage: check_deploy.sh ROOT}
prom=$root/deploy/prometheus
dash=$root/deploy/grafana/p2pls-channel.json

if ! command -v promtool >/dev/null 2>&1; then
    echo "deploy: promtool is not on PATH (Debian package prometheus; scripts/setup.sh" \
        "installs it), so nothing is checked"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "deploy: python3 is needed to check the dashboard and the metric names" >&2
    exit 1
fi

failed=0
# step WHAT CMD...: runs CMD; prints "ok: WHAT", or "FAILED: WHAT" and what CMD said.
step() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "ok: $what"
    else
        echo "FAILED: $what"
        printf '%s\n' "$out" | sed 's/^/    /'
        failed=1
    fi
}

step "promtool check config $prom/prometheus.yml (and its rule_files)" \
    promtool check config "$prom/prometheus.yml"
step "promtool check rules $prom/rules.yml" promtool check rules "$prom/rules.yml"
step "promtool test rules $prom/rules_test.yml" promtool test rules "$prom/rules_test.yml"
if command -v jq >/dev/null 2>&1; then
    step "$dash is valid JSON (jq)" jq empty "$dash"
else
    step "$dash is valid JSON (python3 -m json.tool)" python3 -m json.tool "$dash" /dev/null
fi

# Every metric name in an expression of rules.yml or of the dashboard must be a string
# literal in a role's sources; recording-rule names (with ':') must be recorded in
# rules.yml. A misspelt name would otherwise give an alert that never fires or an empty
# panel, and nothing else would notice.
step "metric names in rules.yml and the dashboard are exported by a role" \
    python3 - "$root" "$prom/rules.yml" "$dash" <<'PY'
import json, os, re, sys

root, rules_path, dash_path = sys.argv[1:4]

# Names the roles export: every identifier-like "string" literal in their .cpp files.
exported = set()
for role in ("tracker", "decade-server", "peer", "player", "source", "common"):
    for dirpath, _, files in os.walk(os.path.join(root, role)):
        for f in files:
            if f.endswith(".cpp"):
                with open(os.path.join(dirpath, f), encoding="utf-8", errors="replace") as fh:
                    exported.update(re.findall(r'"([a-zA-Z_][a-zA-Z0-9_]*)"', fh.read()))

def rule_entries(path):
    """(record-or-alert, expr) of every rule; PyYAML when present, else a line reader
    for the subset rules.yml uses (expr on one line, or a |/> block scalar)."""
    try:
        import yaml
        with open(path) as fh:
            doc = yaml.safe_load(fh)
        return [(r.get("record"), r["expr"]) for g in doc["groups"] for r in g["rules"]]
    except ImportError:
        pass
    out, record, lines = [], None, open(path).read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)-?\s*(record|alert|expr):\s*(.*?)\s*$", lines[i])
        i += 1
        if not m:
            continue
        key, val = m.group(2), m.group(3)
        if key != "expr":
            record = val if key == "record" else None
            continue
        if val[:1] in ("|", ">"):
            block, indent = [], len(m.group(1)) + 2
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent - 2):
                block.append(lines[i].strip())
                i += 1
            val = " ".join(block)
        elif val[:1] in ("'", '"'):
            val = val[1:-1]
        out.append((record, val))
    return out

rules = rule_entries(rules_path)
recorded = {r for r, _ in rules if r}
exprs = [("rules.yml", e) for _, e in rules]

try:
    with open(dash_path) as fh:
        dash = json.load(fh)
except (OSError, ValueError) as e:
    sys.exit(f"{dash_path}: cannot read the dashboard: {e}")

def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)

dash_name = os.path.basename(dash_path)
exprs += [(dash_name, e) for e in walk(dash.get("panels", []))]
# Template variables: label_values(metric, label) and query_result(expr).
for var in dash.get("templating", {}).get("list", []):
    if var.get("type") != "query":
        continue
    q = var.get("query")
    q = q.get("query", "") if isinstance(q, dict) else (q or "")
    m = re.match(r"^\s*label_values\(\s*(.+?)\s*,\s*[a-zA-Z_]\w*\s*\)\s*$", q)
    m = m or re.match(r"^\s*query_result\(\s*(.+)\s*\)\s*$", q)
    if m:
        exprs.append((dash_name + " variable " + var.get("name", "?"), m.group(1)))

FUNCS = set("""abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil
changes clamp clamp_max clamp_min cos cosh count_over_time day_of_month day_of_week
day_of_year days_in_month deg delta deriv exp floor histogram_quantile holt_winters hour
idelta increase irate label_join label_replace last_over_time ln log10 log2
mad_over_time max_over_time min_over_time minute month pi predict_linear
present_over_time quantile_over_time rad rate resets round scalar sgn sin sinh sort
sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time timestamp
vector year sum min max avg group stddev stdvar count count_values bottomk topk
quantile""".split())
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
            "or", "unless", "offset", "atan2", "inf", "nan"}

def metric_names(expr):
    e = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)  # strings
    e = re.sub(r"\$\{[^}]*\}|\$\w+", " ", e)           # Grafana variables
    e = re.sub(r"\{[^}]*\}", " ", e)                   # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                  # ranges and subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    for m in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        name = m.group(0)
        if name.lower() in KEYWORDS or name in FUNCS:
            continue
        yield name

bad, checked = [], set()
for where, expr in exprs:
    for name in metric_names(expr):
        checked.add(name)
        if name == "up":
            continue
        if ":" in name:
            if name not in recorded:
                bad.append(f"{where}: '{name}' is no recording rule of rules.yml  (in: {expr})")
        elif name not in exported:
            bad.append(f"{where}: metric '{name}' is exported by no role (no \"{name}\" literal"
                       f" in tracker/ decade-server/ peer/ player/ source/ common/ *.cpp)"
                       f"  (in: {expr})")
if not exprs:
    bad.append("no expression found in rules.yml or the dashboard")
for b in bad:
    print(b)
if bad:
    sys.exit(1)
print(f"{len(checked)} names in {len(exprs)} expressions, all exported or recorded")
PY

if [ "$failed" -ne 0 ]; then
    echo "deploy: FAILED (see above)"
    exit 1
fi
echo "deploy: all checks passed"
