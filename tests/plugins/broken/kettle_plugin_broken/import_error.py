"""Fails at import, like a plugin whose hardware SDK is not installed."""
import kettle_plugin_broken_vendor_sdk  # noqa: F401  (deliberately missing)
