"""Everything DynamoDB-specific, one job per module: keys and views (``keys``), read requests (``requests``), write-side
items and conditions (``items``), positions in a view (``positions``), read plans (``plan``), the reader, the writer
and its limits, batched writes, the counter check, and DynamoDB's typed JSON (``dynamodb_json``)."""
