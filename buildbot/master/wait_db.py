"""Waits until the database in BUILDBOT_DB_URL accepts connections (at most argv[1] seconds)."""
import os
import sys
import time

import sqlalchemy as sa

url = os.environ['BUILDBOT_DB_URL']
deadline = time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 60)
engine = sa.create_engine(url)
while True:
    try:
        with engine.connect():
            break
    except Exception as e:  # noqa: BLE001 - any failure means "not yet"
        if time.monotonic() > deadline:
            # The message of a connection error never contains the password.
            sys.exit('bbm-master: the database did not accept connections in time: %s' % type(e).__name__)
        time.sleep(0.5)
