"""Docker health check: the master's REST API answers (BBM_MASTER_URL, default http://127.0.0.1:8010/)."""
import json
import os
import sys
import urllib.request

base = os.environ.get('BBM_MASTER_URL') or 'http://127.0.0.1:%s/' % (os.environ.get('BBM_WWW_PORT') or '8010')
try:
    with urllib.request.urlopen(base.rstrip('/') + '/api/v2/masters', timeout=20) as r:
        masters = json.load(r).get('masters', [])
except Exception as e:  # noqa: BLE001
    sys.exit('unhealthy: %s' % e)
if not any(m.get('active') for m in masters):
    sys.exit('unhealthy: no active master')
