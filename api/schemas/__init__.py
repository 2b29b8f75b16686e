"""Request and response bodies (msgspec Structs), one module per resource; strict: unknown fields are refused."""
