"""Times marathon-lb's own config generation (get_apps + config) on an apps JSON file.

usage: marathon-lb-config.py MARATHON_LB_DIR APPS_JSON RUNS OUT_CFG
Prints {"runs_ms": [...], "bytes": N} on stdout. marathon-lb itself is not part of this
repository: MARATHON_LB_DIR is a local checkout (see docs/service-discovery.md, Benchmarks).
"""
import json
import logging
import sys
import time

mlb_dir, apps_file, runs, out_cfg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
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
    apps = json.load(f)['apps']
marathon = Marathon(apps)
templater = ConfigTemplater()
times = []
text = ''
for _ in range(runs):
    raw = marathon.list()
    t0 = time.perf_counter()
    mapps = marathon_lb.get_apps(marathon, raw)
    text = marathon_lb.config(mapps, ['external'], True, '/etc/ssl/cert.pem', templater)
    times.append((time.perf_counter() - t0) * 1000)
with open(out_cfg, 'w') as f:
    f.write(text)
print(json.dumps({'runs_ms': times, 'bytes': len(text)}))
