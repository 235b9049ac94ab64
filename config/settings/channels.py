"""Channels: the Redis channel layer shared by web processes."""

import socket

from config.settings.env import env

# Probes after 30 s of silence, every 10 s, 3 misses: a dead Redis peer is noticed within about a minute.
_KEEPALIVE = {("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": env("REDIS_URL", default="redis://127.0.0.1:6379/0"),
                    # redis-py 8 reads with a 5 s socket timeout by default, which cuts channels-redis's
                    # blocking 5 s BZPOPMIN short: every idle websocket died after ~5 s with TimeoutError.
                    # Without a timeout, sends also skip asyncio.wait_for, which on Python 3.11 can swallow
                    # the cancellation of a consumer that stops (a refused socket's consumer then lingered).
                    # TCP keepalive, not a read timeout, detects a dead peer.
                    "socket_timeout": None,
                    "socket_keepalive": True,
                    "socket_keepalive_options": {
                        getattr(socket, name): value for name, value in _KEEPALIVE if hasattr(socket, name)
                    },
                }
            ],
            "prefix": env("CHANNELS_PREFIX", default="asgi"),
        },
    }
}
