"""cutover-probe: the release gate's validation matrix, run concurrently, reported in order.

Importing the package must stay cheap: `cutover-probe --help` imports this, so nothing here
pulls in aiohttp, structlog or the Google libraries.
"""

__version__ = "0.1.0"
