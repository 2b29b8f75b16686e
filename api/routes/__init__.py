"""One module per resource; each exposes the route handlers (or a Router) the app factory mounts."""
