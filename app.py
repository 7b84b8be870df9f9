"""lossdash: `streamlit run app.py`. All the code lives in the lossdash package.

Streamlit runs this file as the page of every session (``__main__``). ``streamlit run`` first
imports it as the module ``app`` and serves ``app``, a ``st.App`` over this same file whose
one extra route is the live feed: a playing run's charts fetch their next frame from it
without a rerun of the page (``lossdash.ui.feed``); its middleware keeps a closed tab's
connection out of the server log (``lossdash.ui.asgi``).
"""

import streamlit as st
from starlette.middleware import Middleware

from lossdash.ui import asgi, feed, heap
from lossdash.ui.main import main

if __name__ == "__main__":  # a session's page (a search's worker processes import this file
    main()  # as __mp_main__ and must not draw the app)
else:  # the server, once
    heap.keep_large_blocks_apart()  # a closed session's large blocks go back to the system
    heap.freeze_startup()  # the collector no longer walks the imported modules' objects
    app = st.App(__file__, routes=feed.routes(), middleware=[Middleware(asgi.ClosedSockets)])
