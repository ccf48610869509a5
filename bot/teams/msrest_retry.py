"""A fix for msrest's retry configuration, which costs ~8 ms of the event loop per Bot Framework client.

``CloudAdapter`` builds a ``ConnectorClient`` and a ``TokenApiClient`` for every incoming activity, and
each builds a ``msrest`` ``ClientRetryPolicy``, whose constructor computes its retryable status codes as
``[i for i in range(999) if i not in safe_codes]`` with ``safe_codes`` a 502-element *list*: half a
million comparisons, on the event loop, twice per activity. Under 50 Teams activities per second that
alone took most of the event loop (profiled with the load test, ``scripts/load_test.py``), delaying
every Slack and Teams acknowledgement behind it.

Making ``safe_codes`` a frozenset gives the same codes (membership is its only use) in a few hundred
microseconds. msrest is deprecated and no longer takes changes (Azure/msrest-for-python#266 proposed
this very fix and was closed unmerged), so ``mount`` applies it here, in the package that imports
botbuilder.
"""

from __future__ import annotations

from msrest.universal_http import requests as msrest_requests


def apply() -> None:
    """Replace ``ClientRetryPolicy.safe_codes`` by a frozenset of the same codes (idempotent)."""
    policy = msrest_requests.ClientRetryPolicy
    if not isinstance(policy.safe_codes, frozenset):
        policy.safe_codes = frozenset(policy.safe_codes)  # type: ignore[assignment]
