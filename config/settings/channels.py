"""Channels: the Redis channel layer shared by web processes."""

from config.settings.env import env

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [env("REDIS_URL", default="redis://127.0.0.1:6379/0")],
            "prefix": env("CHANNELS_PREFIX", default="asgi"),
        },
    }
}
