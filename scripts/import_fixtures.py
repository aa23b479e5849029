"""Writes the small import fixtures of tests/data/ and prints each one's expected
per-minute counts, computed here independently of prescale (Python's csv, json, gzip
and datetime), for tests/import.rs.

    python3 scripts/import_fixtures.py
"""
import csv
import datetime as dt
import gzip
import io
import json
import random
from collections import Counter

random.seed(7)
out = "tests/data/"
UTC = dt.timezone.utc

# Prometheus query_range: two series of a rate (requests per second) every 15 s over
# 5 minutes from 2026-01-05T10:00:00Z, one NaN sample; a third series of another job.
t0 = int(dt.datetime(2026, 1, 5, 10, 0, tzinfo=UTC).timestamp())
series = []
for inst, base in [("a", 2.0), ("b", 0.5)]:
    vals = []
    for k in range(0, 20):
        v = base + 0.25 * (k % 4)
        vals.append([t0 + 15 * k, "NaN" if (inst, k) == ("b", 6) else repr(v)])
    series.append({"metric": {"job": "api", "instance": inst}, "values": vals})
series.append({"metric": {"job": "batch", "instance": "c"},
               "values": [[t0 + 15 * k, "100"] for k in range(20)]})
doc = {"status": "success", "data": {"resultType": "matrix", "result": series}}
open(out + "prometheus_range.json", "w").write(json.dumps(doc))
# Expected: --count-unit per-second --series 'job="api"': counts per minute.
# A NaN of one series makes that timestamp a gap of the sum, filled by interpolating
# the sums on either side.
sums = {}
for s in series[:2]:
    for t, v in s["values"]:
        sums.setdefault(t, []).append(v)
ts = sorted(sums)
total = {t: (None if "NaN" in vs else sum(map(float, vs))) for t, vs in sums.items()}
for i, t in enumerate(ts):
    if total[t] is None:
        total[t] = (total[ts[i - 1]] + total[ts[i + 1]]) / 2
per_min = Counter()
for t in ts:
    per_min[(t - t0) // 60] += total[t] * 15
print("prometheus job=api per-second, per minute:", [per_min[m] for m in range(5)])

# Common Log Format, 3 minutes of requests with zone -0400, one malformed line, gzip.
lines = []
start = dt.datetime(1995, 7, 1, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
times = sorted(random.uniform(0, 180) for _ in range(40))
for i, s in enumerate(times):
    t = start + dt.timedelta(seconds=s)
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S %z")
    lines.append(f'host{i % 5}.example.net - - [{stamp}] "GET /shuttle/countdown/ HTTP/1.0" 200 {1000 + i}')
lines.insert(17, "garbled line without a time")
raw = ("\n".join(lines) + "\n").encode()
open(out + "access_log.gz", "wb").write(gzip.compress(raw, mtime=0))
c = Counter(int(s // 60) for s in times)
print("access log per minute (from 04:00 UTC):", [c[m] for m in range(3)])

# Per-request CSV shaped like the Azure LLM inference traces.
rows = []
base = dt.datetime(2023, 11, 16, 18, 15, 0)
for i in range(25):
    t = base + dt.timedelta(seconds=random.uniform(0, 150))
    rows.append((t, random.randint(100, 4000), random.randint(1, 600)))
rows.sort()
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(["TIMESTAMP", "ContextTokens", "GeneratedTokens"])
for t, c_, g in rows:
    w.writerow([t.strftime("%Y-%m-%d %H:%M:%S.%f") + "0", c_, g])
open(out + "requests_llm.csv", "w").write(buf.getvalue())
cnt, tok = Counter(), Counter()
for t, c_, g in rows:
    m = (t - base).seconds // 60
    cnt[m] += 1
    tok[m] += g
print("llm requests per minute:", [cnt[m] for m in range(3)], "generated tokens:", [tok[m] for m in range(3)])

# Azure Functions 2019: two day files, three apps.
apps = {"app1aa": ["f1", "f2"], "app2bb": ["f3"], "app3cc": ["f4", "f5"]}
scale = {"f1": 3, "f2": 1, "f3": 9, "f4": 2, "f5": 0}
totals = Counter()
minute_sums = {}
for day in (1, 2):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["HashOwner", "HashApp", "HashFunction", "Trigger"] + [str(m) for m in range(1, 1441)])
    for app, fns in apps.items():
        for f in fns:
            counts = [(scale[f] * (m % 7) + day) if scale[f] else 0 for m in range(1440)]
            totals[app] += sum(counts)
            if app == "app2bb":
                minute_sums[day] = counts[:3]
            w.writerow(["owner" + app[-2:], app + "hash", f + "hash", "http"] + counts)
    open(out + f"azure_functions_d0{day}.csv", "w").write(buf.getvalue())
print("azure busiest:", totals.most_common(1), "first minutes of day 1, 2:", minute_sums[1], minute_sums[2],
      "share %.1f" % (100 * totals["app2bb"] / sum(totals.values())))
