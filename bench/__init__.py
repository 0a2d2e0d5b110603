"""Benchmark of the list endpoint: read capacity, DynamoDB calls, time and cold start (``make bench``)."""
