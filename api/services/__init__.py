"""The service layer: one module per resource holding its SQL and its transaction scripts.

Each function loads what a use case needs (locking rows it will change), calls the pure rules in
`domain/`, persists, and writes the audit row (and later the event) in the same transaction.
`asyncpg.Record` never leaves these modules: rows become msgspec Structs or domain objects here.
"""
