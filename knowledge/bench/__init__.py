"""Benchmarks and the load test, as a library: ``scripts/bench_scale.py`` and ``scripts/load_test.py`` are
their command lines.

- :mod:`knowledge.bench.synthetic` makes threads recombined from the sample community's sentences, with
  e5-like synthetic vectors (shared by the scale benchmark and the load test);
- :mod:`knowledge.bench.scale` builds a synthetic community with bulk SQL and measures opening, latency,
  recall and the embedders; :mod:`knowledge.bench.stream` measures the real ingest path at a sustained rate;
  :mod:`knowledge.bench.child` runs each measurement in a fresh process (its own peak RSS);
- :mod:`knowledge.bench.load` drives a real server over HTTP (:mod:`knowledge.bench.load_fakes`: the fake
  Slack Web API and Bot Connector, the signed requests);
- :mod:`knowledge.bench.results` writes each run's raw result as JSON (``docs/bench-results/``).
"""
