"""Google Cloud in one place: the plumbing every Google call goes through, and the kinds on it.

`gcloud.py` finds credentials and endpoints and runs each call in a bounded daemon thread;
`googlehttp.py` is the requests transport that bounds every Google answer in time and bytes;
`cloudrun.py`, `cloudlogging.py` and `backups.py` are the Google kinds; `domains.py` is the
domain mapping evidence (planned, read and described there). Nothing here imports a Google
library at import time: planning imports this package, and a run with every Google lane off
must load none of them (`gcloud.library` imports them lazily, in the call's thread).
"""
