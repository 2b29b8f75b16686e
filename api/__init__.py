"""The HTTP edge of the partner API: Litestar app, routes, auth, error map, settings, database, CLI."""
