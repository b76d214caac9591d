"""Live events: ``stream.publish`` on Redis (a capped stream and a pub/sub channel per site)
and the Server-Sent Events reader the clients follow; ``keys`` names them."""
