"""Yorozu's domain: threads, answers and the people who gave them, searchable by meaning.

Synchronous and free of chat-platform and web imports; the bot and the CLI use
:class:`knowledge.base.KnowledgeBase`.
"""
