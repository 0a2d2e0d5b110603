"""The API's route paths, defined once: the function registers them, the local server and the tests address
them. Imports nothing, so that the local toolkit can name a route before it sets the function's environment."""

LIST_SESSIONS_PATH = "/api/charging-sessions/list/for/namespace"
