"""Times marathon-lb's own config generation (get_apps + config) on an apps JSON file.

usage: marathon-lb-config.py MARATHON_LB_DIR APPS_JSON RUNS OUT_CFG [WARMUP]
Runs WARMUP (default 3) untimed rounds first, then RUNS timed ones. Each timed round is
get_apps + config on a fresh copy of the parsed apps (made before the clock starts, as bbm's side
does); it is timed as wall time (perf_counter) and as this process's CPU time (process_time).
Also times json.loads of the file's text (the /v2/apps body), which neither side's rounds include.
Prints {"runs_ms": [...], "cpu_ms": [...], "parse_ms": [...], "bytes": N} on stdout. marathon-lb itself is not part of this
repository: MARATHON_LB_DIR is a local checkout (see docs/service-discovery.md, Benchmarks).
"""
import json
import logging
import sys
import time

mlb_dir, apps_file, runs, out_cfg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
warmup = int(sys.argv[5]) if len(sys.argv) > 5 else 3
sys.path.insert(0, mlb_dir)
sys.argv = ['marathon_lb.py']
logging.disable(logging.CRITICAL)

import os  # noqa: E402
os.chdir(mlb_dir)  # its templates are found relative to the working directory
import marathon_lb  # noqa: E402
from config import ConfigTemplater  # noqa: E402


class Marathon:
    """Stands in for marathon_lb.Marathon: the apps come from the file, not from HTTP."""

    def __init__(self, apps):
        self.apps = apps

    def list(self):
        return json.loads(json.dumps(self.apps))

    def health_check(self):
        return True

    def strict_mode(self):
        return False


with open(apps_file) as f:
    body = f.read()
parse_ms = []
for _ in range(5):
    t0 = time.perf_counter()
    apps = json.loads(body)['apps']
    parse_ms.append((time.perf_counter() - t0) * 1000)
marathon = Marathon(apps)
templater = ConfigTemplater()
times = []
cpu = []
text = ''
for i in range(warmup + runs):
    raw = marathon.list()
    t0 = time.perf_counter()
    c0 = time.process_time()
    mapps = marathon_lb.get_apps(marathon, raw)
    text = marathon_lb.config(mapps, ['external'], True, '/etc/ssl/cert.pem', templater)
    c1 = time.process_time()
    t1 = time.perf_counter()
    if i >= warmup:
        times.append((t1 - t0) * 1000)
        cpu.append((c1 - c0) * 1000)
with open(out_cfg, 'w') as f:
    f.write(text)
print(json.dumps({'runs_ms': times, 'cpu_ms': cpu, 'parse_ms': parse_ms, 'bytes': len(text)}))
