"""The layer shared by the functions: the contract (models), configuration, the query vocabulary, the use case
(listing), the HTTP edge, and ``storage`` (everything DynamoDB-specific)."""
