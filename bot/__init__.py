"""Yorozu's async shell: the aiohttp server, the chat platforms' adapters and the CLI."""
