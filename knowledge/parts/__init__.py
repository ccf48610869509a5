"""The parts of :class:`knowledge.base.KnowledgeBase`, one concern each, over one shared state.

ingest (events into the store), channels (switches, jobs, feedback), questions (suggestions, threads,
experts), roles, people, curation (the curated FAQ), review (review queue, follow-ups, insights).
"""
