"""Power quality: indices, events and diagnosis per monitoring point and per site
(docs/quality.md)."""
