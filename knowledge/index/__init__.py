"""The two indexes (FAISS vectors, the lexical tantivy index) kept in step with the store.

:mod:`knowledge.index.catch_up` consumes the store's change log and embeds what changed;
:mod:`knowledge.index.files` loads, rebuilds and saves the index files; :mod:`knowledge.index.turn_lock`
is the embedder's lock.
"""
