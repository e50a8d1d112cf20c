"""Compiled execution of GraphQL queries: the same answers as graphql-core, without its per-field cost.

graphql-core completes every field of a response through a generic path (resolve info, resolver
wrapper, awaitable checks, `complete_value` dispatch): about 3 µs a field, 1,200 fields on the
invoice dashboard. `FastExecutor` (executor.py) is the executor class the schema hands graphql-core;
for a query whose document the compiler (plan.py) covers, it walks a plan built once per validated
operation: plain attribute fields are read with `getattr` and serialised by a serializer chosen
once for their type, fields with a resolver are called exactly as graphql-core calls them (same
info, arguments, permission extensions). Anything the plan does not cover, and any error at all,
goes to graphql-core's own execution, so errors and their paths are graphql-core's.

Performance: bench/bench_peers.py (the peer comparison) and bench/bench_dashboard.py.
"""
