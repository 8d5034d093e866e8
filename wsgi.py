"""The WSGI entry point: `flask --app wsgi run`, `gunicorn wsgi:app`.

The cyclic garbage collector is off while the app is imported and built, and what that built is
then frozen (moved to the collector's permanent generation), as the `gc` module's documentation
recommends for a server that forks its workers from a preloaded app (gunicorn.conf.py): building
the app allocates some 700,000 objects, and the collections they set off were ~10 % of the
start; frozen, the long-lived objects are never scanned again, so a worker's collections neither
spend time on them nor write to (and so copy) the memory pages it shares with the master.
Reference counting frees everything as usual meanwhile; the collector is on again afterwards.
"""

import gc

gc.disable()
try:
    from konto import create_app

    app = create_app()
finally:
    gc.enable()
gc.freeze()
