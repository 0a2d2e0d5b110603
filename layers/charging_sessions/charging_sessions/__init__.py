"""Shared code of the charging-sessions service: models, storage contract, repository, settings."""
