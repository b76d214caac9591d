"""The site box's uplink (docs/sitelink.md): the site's shipper and the centre's receiver.

``batching`` is the pure core (a batch's bounds, the watermark, the backoff); the site
side is ``outbox`` (numbering in commit order, acknowledgements, pruning, status) and
``shipper`` (the loop); the centre side is ``credentials`` (site tokens), ``receive``
(a batch applied in one transaction, watermarks), ``forwarded`` (commands and meter
replacements) and ``names`` (the site's codes and user names to the centre's ids). The
outbox rows are written by ``backend/uplink.py``, low in the layers beside the data's
writers, which also gives the centre's view of each site's link (``link_summaries``).
"""
SCHEMA = 1      # the payload format; a centre refuses a batch of another (uplink_rejected)
